// Reads {privateKey, domain, types, primaryType, message} as JSON on stdin
// and prints {address, digest, signature}: the wallet's address, ethers'
// EIP-712 digest and its signTypedData signature. As ethers wants, only the
// primary type is passed (EIP712Domain is left out).
import { Wallet, TypedDataEncoder } from "ethers";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const types = { [input.primaryType]: input.types[input.primaryType] };
const wallet = new Wallet(input.privateKey);
const digest = TypedDataEncoder.hash(input.domain, types, input.message);
const signature = await wallet.signTypedData(input.domain, types, input.message);
process.stdout.write(JSON.stringify({ address: wallet.address, digest, signature }));
