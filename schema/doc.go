// Package schema is the registry's vocabulary, shared by every layer: the
// messages parties sign (EIP-712 typed data: domain, types, digests,
// signatures), the records the chaincode stores and their state keys, the
// agreement workflow, the chaincode's function names, and the typed errors
// (*Error, by Code) that name the offending field. The contract applies it,
// the client and the API relay it, the verifier checks against it.
//
// It links neither the chaincode runtime nor an HTTP framework: a portal, a
// command-line tool or an auditor's verifier imports it alone.
//
// Integers of messages travel as decimal strings (Uint): JavaScript numbers
// lose precision above 2^53.
package schema
