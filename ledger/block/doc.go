// Package block is the embedded ledger's block format: the signed block
// headers that link the chain, the chain configuration of the genesis block,
// the transaction records with their read/write sets, and their binary
// encodings, byte for byte as the ledger stores them.
//
// It depends on neither the store nor the chaincode shim, so that a block
// can be decoded and checked wherever it travels: package ledger writes and
// reads these records in its store, and the offline proof verifier (package
// proof, also compiled to WebAssembly) checks the raw blocks of a proof
// bundle with DecodeRaw and VerifySignature.
package block
