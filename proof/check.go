package proof

// Check names a check of the verification: what an Item of a Report
// establishes. The names are a stable vocabulary (reports are read by
// people and by programs, as JSON and as text); docs/auditing.md lists them
// with what each establishes.
type Check string

// The checks of the bundle as a whole.
const (
	// CheckBundle: the file reads as a proof bundle (registryctl verify
	// reports it when Read fails).
	CheckBundle Check = "bundle"
	// CheckFormat: the bundle is of the Format this verifier reads.
	CheckFormat Check = "format"
	// CheckRoots: the auditor supplied root certificates to verify against.
	CheckRoots Check = "roots"
	// CheckEIP712: the bundle's EIP-712 domain and types are the registry's.
	CheckEIP712 Check = "eip712 domain and types"
	// CheckBackend: the bundle names a backend this verifier knows.
	CheckBackend Check = "backend"
	// CheckBlocks: a Fabric bundle carries Fabric blocks.
	CheckBlocks Check = "blocks"
	// CheckTransactions: at least one transaction of the bundle verified.
	CheckTransactions Check = "transactions"
)

// The checks of the ledger evidence, embedded ledger and Fabric.
const (
	// CheckGenesis: the genesis block is the one the auditor pinned (Fabric
	// requires the pin, and anchors the channel configuration in it); on the
	// embedded ledger, that the bundle starts with a whole genesis block of
	// the bundle's channel.
	CheckGenesis Check = "genesis block"
	// CheckDataHash: a block's data hash is the hash of its data.
	CheckDataHash Check = "block data hash"
	// CheckHeaderChain: a block's previous hash is the hash of the header
	// before it.
	CheckHeaderChain Check = "block header chain"
	// CheckChaincode: a transaction ran the bundle's chaincode.
	CheckChaincode Check = "chaincode"
	// CheckValidationCode: a transaction is marked VALID.
	CheckValidationCode Check = "validation code"
	// CheckEndorsementPolicy: a transaction's endorsers satisfy the
	// chaincode's endorsement policy.
	CheckEndorsementPolicy Check = "endorsement policy"
)

// The checks of the embedded ledger's evidence.
const (
	// CheckNodeCertificate: the genesis block's node certificate chains to a
	// supplied root and is a node's.
	CheckNodeCertificate Check = "node certificate"
	// CheckNodeSignature: the node signed a block's header.
	CheckNodeSignature Check = "node signature"
	// CheckCheckpoint: the chain of headers passes through the pinned block.
	CheckCheckpoint Check = "checkpoint"
	// CheckTransactionPresent: a transaction of the bundle is in one of its
	// whole blocks.
	CheckTransactionPresent Check = "transaction present"
)

// The checks of Fabric evidence.
const (
	// CheckBlockFormat: a block parses as a Fabric block.
	CheckBlockFormat Check = "block format"
	// CheckBlockNumber: the bundle's blocks ascend without duplicates.
	CheckBlockNumber Check = "block number"
	// CheckBlockChannel: every transaction of a block is on the bundle's
	// channel.
	CheckBlockChannel Check = "block channel"
	// CheckOrdererSignature: orderers of the channel signed a block: one
	// with Raft, a quorum of consenters with BFT.
	CheckOrdererSignature Check = "orderer signature"
	// CheckBlockConfig: a block was cut under the configuration the bundle
	// anchors.
	CheckBlockConfig Check = "block config"
	// CheckChannelConfig: the bundle's config block holds the bundle's
	// channel's configuration.
	CheckChannelConfig Check = "channel config"
	// CheckConfigRoots: an organisation's root certificates in the channel
	// configuration are exactly the supplied ones.
	CheckConfigRoots Check = "config roots"
	// CheckTransaction: a transaction is in the bundle's blocks and is an
	// endorser transaction whose id derives from its nonce and creator.
	CheckTransaction Check = "transaction"
	// CheckCreatorSignature: the transaction's submitter signed it.
	CheckCreatorSignature Check = "creator signature"
	// CheckProposalHash: the endorsements are of the transaction's proposal.
	CheckProposalHash Check = "proposal hash"
	// CheckEndorsementSignature: a peer of an application organisation
	// signed an endorsement.
	CheckEndorsementSignature Check = "endorsement signature"
	// CheckKeyEndorsementPolicy: a transaction's endorsers satisfy the
	// key-level policy an earlier transaction of the bundle set on a key it
	// writes.
	CheckKeyEndorsementPolicy Check = "key endorsement policy"
)

// The checks of the records and the signed acts.
const (
	// CheckRecordWritten: a presented record is the value its transaction
	// wrote.
	CheckRecordWritten Check = "record written"
	// CheckOfferingHash: the offering version's hash recomputes.
	CheckOfferingHash Check = "offering hash"
	// CheckPriceModelHash: a price-model version's hash recomputes.
	CheckPriceModelHash Check = "price-model hash"
	// CheckTermsHash: a fee version's terms hash recomputes, and the
	// agreement holds the terms hash of its latest fee version and of the
	// version in force.
	CheckTermsHash Check = "terms hash"
	// CheckPriceModelNamed: the price-model version a fee version names is
	// in the bundle, with the hash it names.
	CheckPriceModelNamed Check = "price model named"
	// CheckActTransaction: an act's transaction is in the verified evidence
	// and wrote the act (under its own key, or a version holding it) and the
	// record it changed.
	CheckActTransaction Check = "act transaction"
	// CheckActParty: an act's party is a party of the record.
	CheckActParty Check = "act party"
	// CheckActDigest: an act's EIP-712 digest recomputes from its message.
	CheckActDigest Check = "act digest"
	// CheckActSignature: an act's signature recovers to its recorded signer.
	CheckActSignature Check = "act signature"
	// CheckSignerKey: the signer was a registered key of the party when the
	// act ran.
	CheckSignerKey Check = "signer's key"
	// CheckSignedMessage: what an act signed is what the records hold.
	CheckSignedMessage Check = "signed message"
	// CheckTermsInForce: the agreement's verified acts, replayed through the
	// agreement workflow, put the recorded terms in force, and the order
	// date, fee periods and end date invoices are computed from.
	CheckTermsInForce Check = "terms in force signed"
)

// The checks of the money side: invoices, allocations and the figures they
// rest on.
const (
	// CheckInvoiceBasis: an invoice's basis is what the records hold: the
	// agreement's order date, its fee periods and end date as the ledger held
	// them when the invoice was issued, and the presented fee versions; its
	// parties are the agreement's.
	CheckInvoiceBasis Check = "invoice basis"
	// CheckInvoiceLines: an invoice recomputes to the cent from its basis:
	// every line (schema.InvoiceLines, or the one correction line of a
	// corrective invoice over the earlier invoices of the year presented),
	// the amounts computed and billed, the net, the VAT treatment and VAT of
	// the price-model version, and the total.
	CheckInvoiceLines Check = "invoice lines"
	// CheckInvoiceHash: an invoice's hash is schema.InvoiceHash of its
	// content.
	CheckInvoiceHash Check = "invoice hash"
	// CheckAllocationShares: a published allocation recomputes
	// (schema.Allocate over its presented inputs under the price-model
	// version it names) to exactly its presented shares and hash, and its
	// entries are exactly those its PublishAllocation transaction wrote.
	CheckAllocationShares Check = "allocation shares"
	// CheckAllocationInputs: the agreement's input in an allocation is its
	// customer and Land, and figure versions the bundle presents, written
	// before the publication (of the usage, the latest report then).
	CheckAllocationInputs Check = "allocation inputs"
)
