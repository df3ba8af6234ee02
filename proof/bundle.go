package proof

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/efa-marktplatz/registry/evidence"
	"github.com/efa-marktplatz/registry/ledger/block"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// Bundle is the evidence of one agreement, self-contained: the records as
// presented, the ids of every transaction that wrote them or the keys of the
// parties who signed, the EIP-712 domain and types, and the ledger's blocks
// holding those transactions.
type Bundle struct {
	Format    string `json:"format"`
	Backend   string `json:"backend"` // evidence.BackendEmbedded or evidence.BackendFabric
	Channel   string `json:"channel"`
	Chaincode string `json:"chaincode"`
	Agreement string `json:"agreement"`
	// Records are presented as the registry stores them; each must equal the
	// value its transaction wrote.
	Records Records `json:"records"`
	// Transactions are the ids of the transactions the records rest on: every
	// change of the agreement, its fee versions, the price-model and offering
	// versions its terms name, its invoices, the figure versions and
	// allocations they rest on, and every change of the signing parties.
	Transactions []string `json:"transactions"`
	EIP712       EIP712   `json:"eip712"`
	// Embedded holds the embedded ledger's blocks from the genesis block on:
	// whole where they hold a transaction of the bundle, headers in between.
	Embedded []block.Raw `json:"embedded,omitempty"`
	// Fabric holds the Fabric blocks, as the peers' qscc served them.
	Fabric *evidence.FabricBlocks `json:"fabric,omitempty"`
}

// Records are the records an agreement's terms rest on, as stored.
type Records struct {
	// Agreement is the agreement as stored: its signed acts are counted
	// there and kept under keys of their own, presented in AgreementActs.
	Agreement json.RawMessage `json:"agreement"`
	// AgreementActs are the signed acts on the agreement, all of them, in
	// order: the n-th is the value of schema.ActKey(agreement, id, n).
	AgreementActs   []json.RawMessage `json:"agreementActs"`
	FeeVersions     []json.RawMessage `json:"feeVersions"`
	PriceModels     []json.RawMessage `json:"priceModels"`
	OfferingVersion json.RawMessage   `json:"offeringVersion"`
	// OfferingAcceptance is the Anbieter's signed acceptance of the offering
	// version the agreement names, with its place in the offering's acts.
	OfferingAcceptance *LoggedAct `json:"offeringAcceptance"`
	// Invoices are the agreement's invoices as stored, oldest first; their
	// VAT treatment is that of a price-model version in PriceModels.
	Invoices []json.RawMessage `json:"invoices"`
	// Figures are the figure versions the agreement's fee adjustments rest
	// on, as stored: every version of the agreement's usage reports (kind
	// cases, with the supplier's signed act inside), and the versions the
	// agreement's input in each of Allocations names.
	Figures []json.RawMessage `json:"figures"`
	// Allocations are the published allocations a fee adjustment of the
	// agreement names, each with all its entries.
	Allocations []AllocationRecord `json:"allocations"`
}

// AllocationRecord is a published allocation as stored: its header (a
// schema.PublishedAllocation without inputs and shares) under its name, and
// every agreement's entry (a schema.AllocationEntry) under
// schema.AllocationEntryKey, in the order of the agreement ids. The
// PublishAllocation transaction wrote them all.
type AllocationRecord struct {
	Header  json.RawMessage   `json:"header"`
	Entries []json.RawMessage `json:"entries"`
}

// LoggedAct is a signed act as a record's act log stores it: its number
// (from 1) and its value.
type LoggedAct struct {
	Seq schema.Uint     `json:"seq"`
	Act json.RawMessage `json:"act"`
}

// EIP712 is the domain and the types the acts were signed against.
type EIP712 struct {
	Domain apitypes.TypedDataDomain `json:"domain"`
	Types  apitypes.Types           `json:"types"`
}

// Read decodes a bundle.
func Read(r io.Reader) (*Bundle, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var b Bundle
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("proof bundle: %w", err)
	}
	if b.Format != Format {
		return nil, fmt.Errorf("proof bundle: format %q, this verifier reads %q", b.Format, Format)
	}
	return &b, nil
}

// ReadFile decodes a bundle file.
func ReadFile(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// FabricTrust reads what an auditor pins for a Fabric channel: the root
// certificate files by MSP id and the genesis block file, whose header hash
// it pins.
func FabricTrust(rootFiles map[string]string, genesisBlock string) (*Trust, error) {
	t := &Trust{}
	for _, msp := range slices.Sorted(maps.Keys(rootFiles)) {
		data, err := os.ReadFile(rootFiles[msp])
		if err != nil {
			return nil, fmt.Errorf("roots: %w", err)
		}
		if err := t.AddRootsPEM(msp, data); err != nil {
			return nil, err
		}
	}
	genesis, err := os.ReadFile(genesisBlock)
	if err != nil {
		return nil, fmt.Errorf("roots: genesis block: %w", err)
	}
	if t.Genesis, err = FabricBlockHash(genesis); err != nil {
		return nil, fmt.Errorf("roots: genesis block %s: %w", genesisBlock, err)
	}
	return t, nil
}
