// Package proof builds and checks the evidence that an agreement in the
// registry says exactly what its parties signed, that the ledger holds
// exactly that, and that its invoices and the allocations behind its fees
// compute to the cent from those records.
//
// A Bundle is self-contained: the agreement and the records it rests on as
// presented (its invoices and their inputs among them), the blocks (embedded ledger or Fabric) of every transaction that
// wrote them, and the EIP-712 domain and types. Build assembles one from a
// registry (a Source). Verify checks a bundle against the root certificates
// an auditor supplies (Trust) and nothing else: it never asks the ledger or
// the API. It reports item by item what holds — a Report of Items, each named
// by a Check — and names the first broken link.
//
// # What is checked, and where
//
// First the ledger evidence, by backend; each returns the transactions whose
// blocks verified, in ledger order.
//
//   - VerifyEmbedded (embedded.go): the genesis block, its node certificate
//     against the supplied roots, the unbroken header chain, the node's
//     signatures, the data hashes and a pinned checkpoint; each transaction's
//     chaincode and validation code.
//   - VerifyFabric (fabric.go): the channel configuration, anchored in the
//     pinned genesis block, and its organisations' roots, exactly the
//     supplied ones (fabric_config.go); each block's data hash, header chain,
//     channel and the configuration it was cut under (fabric_blocks.go); its
//     orderer signatures, one for Raft, a quorum of consenters for BFT
//     (fabric_orderer.go); each transaction's validation code, creator
//     signature, proposal hash, chaincode and endorsement signatures
//     (fabric_tx.go); the chaincode's endorsement policy and the key-level
//     policies earlier transactions of the bundle set (fabric_policy.go).
//
// Then the records, on either backend.
//
//   - Every presented record is the value its transaction wrote, and the
//     offering, price-model and terms hashes recompute (verify.go).
//   - Every signed act: its transaction wrote the act and the record, its
//     EIP-712 digest recomputes, its signature recovers to the recorded
//     signer, a key the party had registered at the time; and what it signed
//     is what the records hold (acts.go).
//   - The terms in force: the agreement's verified acts, replayed in ledger
//     order through the agreement workflow of package schema, put the
//     recorded fee version and terms in force, and the order date, fee
//     periods and end date invoices are computed from (terms.go).
//   - The money side (money.go), each recomputed as presented, so that a
//     changed cent is named where it is wrong: the figure versions the fee
//     adjustments rest on (usage reports signed by the supplier); every
//     published allocation a fee adjustment names, recomputed with
//     schema.Allocate from its entries, which must be exactly those its
//     PublishAllocation transaction wrote, and the agreement's own input
//     traced to those figures; the fee adjustment's annual fee, the
//     agreement's share; and every invoice, its basis traced to the records
//     and every line, the net, the VAT and the total recomputed with
//     schema.InvoiceLines and schema.VATOf, a corrective invoice over the
//     earlier invoices of its year the bundle presents.
//
// The check names (check.go) are a stable vocabulary; docs/auditing.md says
// what each establishes.
//
// # Channel configuration
//
// The Fabric channel configuration is read here, on fabric-protos-go-apiv2,
// not with github.com/hyperledger/fabric-config. Its v0.3.0 resolves
// alongside this module's protos, but its configtx package cannot carry the
// checks without weakening them: it does not know the BFT consensus type
// (Orderer().Configuration() fails on it) and exposes no BFT consenters to
// count a quorum over; it gives policies as DSL strings, in which
// organisational-unit and identity principals come out empty, where the
// verifier evaluates signature policy envelopes as Fabric does; it reads
// every MSP as an X.509 MSP; and it panics on input a bundle may carry (a
// config without a channel group, NodeOUs without one of the four OU
// identifiers), where a bundle is untrusted input.
package proof
