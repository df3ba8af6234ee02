// An EIP-1193 test wallet for the browser tests: ethers v6 (its UMD build,
// injected before this script) holding one known key, given as
// globalThis.__testWalletKey. It answers eth_requestAccounts and
// eth_signTypedData_v4 as a browser wallet does, and records every request
// in globalThis.__walletRequests, so that a test can compare what was
// signed with what the page showed.
(() => {
  const wallet = new ethers.Wallet(globalThis.__testWalletKey);
  const requests = [];
  globalThis.__walletRequests = requests;
  globalThis.ethereum = {
    isTestWallet: true,
    async request({ method, params }) {
      requests.push({ method, params: params ?? [] });
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [wallet.address];
        case "eth_signTypedData_v4": {
          const [account, json] = params;
          if (account.toLowerCase() !== wallet.address.toLowerCase()) {
            throw Object.assign(new Error("unknown account " + account), { code: 4100 });
          }
          const { types, domain, message } = JSON.parse(json);
          const only = { ...types };
          delete only.EIP712Domain; // ethers derives the domain type itself
          return wallet.signTypedData(domain, only, message);
        }
        default:
          throw Object.assign(new Error("unsupported method " + method), { code: 4200 });
      }
    },
  };
})();
