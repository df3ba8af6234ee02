// A JavaScript portal against the registry's REST API, with ethers v6: it
// fetches /v1/eip712, creates its own wallets, has the member register its
// parties and their keys (proof of possession signed by each wallet), runs
// an offering and an agreement from submission to the binding order — every
// act signed with signTypedData — and verifies every signature the API
// returns with verifyTypedData, and the record hashes with TypedDataEncoder.
// Environment: API (base URL), TOKEN (member token), SUFFIX (unique ids).
import { Wallet, verifyTypedData, TypedDataEncoder } from "ethers";

const api = process.env.API, token = process.env.TOKEN, suffix = process.env.SUFFIX ?? "";
const fail = (msg) => { console.error(msg); process.exit(1); };

async function call(method, path, body, headers = {}) {
  const res = await fetch(api + path, {
    method, headers: { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json; try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, json };
}
function expect(res, status, what) {
  if (res.status !== status) fail(`${what}: want ${status}, got ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json;
}

const eip = expect(await call("GET", "/v1/eip712"), 200, "GET /v1/eip712");
const domain = eip.domain;
const only = (type) => ({ [type]: eip.types[type] }); // ethers wants the primary type alone
let counter = 0;
const replay = () => ({ nonce: (BigInt(Date.now()) * 1000000n + BigInt(counter++)).toString(), deadline: String(Math.floor(Date.now() / 1000) + 3600) });

async function act(wallet, type, message, status) {
  message = { ...message, ...replay() };
  const signature = await wallet.signTypedData(domain, only(type), message);
  const ep = eip.endpoints[type];
  const path = ep.path.replace("{id}", ep.pathField ? message[ep.pathField] : "");
  return expect(await call(ep.method, path, { message, signature }), status, `${type} ${path}`);
}

const member = { Authorization: `Bearer ${token}` };
async function register(reg) {
  const wallet = Wallet.createRandom();
  expect(await call("POST", "/v1/parties", { inHouse: [], ...reg }, member), 201, `register ${reg.id}`);
  const message = { party: reg.id, key: wallet.address, validFrom: "0", validUntil: "0", ...replay() };
  const proofOfPossession = await wallet.signTypedData(domain, only("AddKey"), message);
  expect(await call("POST", `/v1/parties/${reg.id}/keys`, { message, proofOfPossession }, member), 201, `key of ${reg.id}`);
  return { id: reg.id, wallet };
}

const anbieter = await register({ id: `govdigital${suffix}`, kind: "Anbieter", name: "govdigital eG" });
const supplier = await register({ id: `land-mv${suffix}`, kind: "Land", name: "Land Mecklenburg-Vorpommern", ags: "13000000" });
const customer = await register({ id: `stadt-koeln${suffix}`, kind: "Kommune", name: "Stadt Köln", ars: "053150000000", ags: "05315000", inHouse: [anbieter.id] });

const content = {
  offering: `digitaler-bauantrag${suffix}`, version: "1", supplier: supplier.id, anbieter: anbieter.id, kind: "ozg-service",
  title: "Digitaler Bauantrag", description: "über ein JavaScript-Portal", themenfeld: "Bauen & Wohnen",
  leikaKeys: ["99999999000002"], ozgIds: [], efaFinanced: true, costInfrastructure: "1200000", costDevelopment: "0",
  costPlatform: "0", costOperation: "0", costUsage: "0", documentHashes: [],
};
const offering = await act(supplier.wallet, "SubmitOffering", content, 201);
const offeringHash = TypedDataEncoder.hash(domain, only("Offering"), content);
if (offering.hash !== offeringHash) fail(`offering hash ${offering.hash}, ethers computes ${offeringHash}`);
await act(anbieter.wallet, "AcceptOffering", { offering: content.offering, version: "1", offeringHash }, 200);
const priceModel = await act(supplier.wallet, "PublishPriceModel", {
  offering: content.offering, version: "1", predecessorHash: "0x" + "00".repeat(32), validFrom: "2027-01-01",
  distributionKey: "inhabitants", weightInhabitants: "10000", weightCases: "0", weightTargetGroup: "0", weightKoenigsteiner: "0",
  annualFee: "1200000", proRataFee: "100000", connectionFee: "50000", scopeOfUse: "SAMPLE FIGURES",
  costInfrastructure: "0", costDevelopment: "0", costPlatform: "0", costOperation: "0", costUsage: "0", efaFinanced: false,
  targetGroup: "", vatCategory: "O", vatRate: "0", vatExemption: "Nicht steuerbar (hoheitliche Tätigkeit)",
}, 201);

const id = `js-portal${suffix}`;
await act(customer.wallet, "ExpressInterest", { agreement: id, offering: content.offering, customer: customer.id, parentAgreement: "" }, 201);
const fees = await act(supplier.wallet, "EnterFees", { agreement: id, feeVersion: "1", priceModelHash: priceModel.hash,
  annualFee: "1200000", proRataFee: "100000", connectionFee: "50000", scopeOfUse: "Bauaufsicht" }, 201);
for (const p of [customer, anbieter]) {
  await act(p.wallet, "ApproveFees", { agreement: id, party: p.id, feeVersion: "1", termsHash: fees.termsHash }, 200);
}
const concluded = await act(customer.wallet, "PlaceOrder", { agreement: id, termsHash: fees.termsHash }, 200);
if (concluded.status !== "CONCLUDED") fail(`agreement is ${concluded.status}`);

// Verify every signature the API returns, as an auditor's browser would.
const agreement = expect(await call("GET", `/v1/agreements/${id}`), 200, "GET agreement");
for (const a of agreement.acts) {
  const signer = verifyTypedData(domain, only(a.type), a.message, a.signature);
  if (signer !== a.signer) fail(`${a.type}: the signature recovers to ${signer}, the API says ${a.signer}`);
  const digest = TypedDataEncoder.hash(domain, only(a.type), a.message);
  if (digest !== a.digest) fail(`${a.type}: digest ${a.digest}, ethers computes ${digest}`);
}
// A wallet that is no key of the customer is refused, with a problem naming the field.
const stranger = Wallet.createRandom();
const refused = await act(stranger, "PlaceOrder", { agreement: id, termsHash: fees.termsHash }, 403);
if (refused.field !== "signature" || refused.code !== "forbidden") fail(`refusal: ${JSON.stringify(refused)}`);

// The signed terms are self-contained: each act carries its message and its
// EIP-712 type, the terms the domain; nothing else is fetched to verify them.
const terms = expect(await call("GET", `/v1/agreements/${id}/terms`), 200, "GET terms");
for (const a of terms.acts) {
  const signer = verifyTypedData(terms.domain, a.types, a.message, a.signature);
  if (signer !== a.recovered) fail(`/terms ${a.type}: the signature recovers to ${signer}, the terms say ${a.recovered}`);
}
const termsActs = terms.acts.map((a) => a.type);
if (!termsActs.includes("AcceptOffering")) fail(`/terms lacks the Anbieter's acceptance: ${termsActs}`);

process.stdout.write(JSON.stringify({ ok: true, status: agreement.status, verifiedActs: agreement.acts.length,
  verifiedTermsActs: terms.acts.length, termsActs }));
