package proof

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/evidence"
	"github.com/efa-marktplatz/registry/ledger"
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
	Embedded []ledger.RawBlock `json:"embedded,omitempty"`
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

// LoadRoots reads the root certificates an auditor pins from a directory:
// MSPID.pem files, or MSPID/ca.pem (the embedded ledger's msp directory has
// that layout).
func LoadRoots(dir string) (*Trust, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("roots: %w", err)
	}
	t := &Trust{}
	for _, e := range entries {
		var msp, path string
		switch {
		case e.IsDir():
			msp, path = e.Name(), filepath.Join(dir, e.Name(), "ca.pem")
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				continue
			}
		case strings.HasSuffix(e.Name(), ".pem"):
			msp, path = strings.TrimSuffix(e.Name(), ".pem"), filepath.Join(dir, e.Name())
		default:
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("roots: %w", err)
		}
		if err := t.AddRootsPEM(msp, data); err != nil {
			return nil, fmt.Errorf("roots: %s: %w", path, err)
		}
	}
	if len(t.Roots) == 0 {
		return nil, fmt.Errorf("roots: no MSPID.pem or MSPID/ca.pem in %s", dir)
	}
	switch raw, err := os.ReadFile(filepath.Join(dir, GenesisFile)); {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("roots: %w", err)
	default:
		h, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(h) != sha256.Size {
			return nil, fmt.Errorf("roots: %s must hold the genesis block's header hash in hex", GenesisFile)
		}
		t.Genesis = h
	}
	return t, nil
}

// GenesisFile, in a roots directory, pins the genesis block: its header hash in hex.
const GenesisFile = "genesis.sha256"

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
	block, err := os.ReadFile(genesisBlock)
	if err != nil {
		return nil, fmt.Errorf("roots: genesis block: %w", err)
	}
	if t.Genesis, err = FabricBlockHash(block); err != nil {
		return nil, fmt.Errorf("roots: genesis block %s: %w", genesisBlock, err)
	}
	return t, nil
}

// WriteDir writes the trust as LoadRoots reads it: MSPID.pem files, and the
// genesis block's header hash (if pinned) as genesis.sha256.
func (t *Trust) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if t.Genesis != nil {
		if err := os.WriteFile(filepath.Join(dir, GenesisFile), []byte(hex.EncodeToString(t.Genesis)+"\n"), 0o644); err != nil {
			return err
		}
	}
	for msp, certs := range t.Roots {
		var out []byte
		for _, c := range certs {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		if err := os.WriteFile(filepath.Join(dir, msp+".pem"), out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
