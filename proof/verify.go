package proof

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/efa-marktplatz/registry/evidence"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// SignedTerms is what the verification establishes about an agreement: its
// canonical terms, and every act on it with the signature, the recovered
// signer, the key registration it matched and the transaction that carried it.
type SignedTerms struct {
	Agreement string `json:"agreement"`
	Status    string `json:"status"`
	// FeeVersion is the fee version whose terms are shown: the one in force,
	// or the latest entered before the order.
	FeeVersion schema.Uint   `json:"feeVersion"`
	TermsHash  string        `json:"termsHash"`
	Terms      *schema.Terms `json:"terms"`
	// AsOfBlock is the block of the agreement's newest change in the
	// evidence: the agreement is proven as that transaction wrote it. A
	// bundle cannot show that no later change exists.
	AsOfBlock schema.Uint `json:"asOfBlock"`
	// Domain is the EIP-712 domain every act was signed in: with an act's
	// message, type and signature, what verifyTypedData needs.
	Domain map[string]string `json:"domain"`
	Acts   []ActProof        `json:"acts"`
}

// ActProof is one signed act and its ledger proof.
type ActProof struct {
	Type   string `json:"type"`
	Record string `json:"record"` // agreement, feeVersion, priceModel, offeringVersion, offering, figure, allocation, invoice
	Party  string `json:"party"`
	// Message is the message as it was signed, and Types its EIP-712 type
	// (the primary type alone, as ethers' verifyTypedData takes it): with
	// the terms' domain and the signature, each act verifies on its own.
	Message   json.RawMessage `json:"message"`
	Types     apitypes.Types  `json:"types"`
	Signature string          `json:"signature"`
	Digest    string          `json:"digest"`
	// Recovered is the address the signature recovers to from the digest
	// recomputed here.
	Recovered string `json:"recovered"`
	// Key is the party's key registration the signer matched at the time of
	// the act.
	Key         *schema.Key `json:"key,omitempty"`
	TxID        string      `json:"txId"`
	BlockNumber schema.Uint `json:"blockNumber"`
	// BlockHash is the SHA-256 of the block's header; BlockSignedBy says
	// whose signatures over it verified: orderers (Fabric) or the node.
	BlockHash      string   `json:"blockHash"`
	BlockSignedBy  string   `json:"blockSignedBy"`
	TxIndex        int      `json:"txIndex"`
	Time           string   `json:"time"`
	ValidationCode string   `json:"validationCode"`
	Endorsers      []string `json:"endorsers"`
}

// Verify checks a bundle against the auditor's trust: the ledger evidence
// (blocks, signatures, validation codes, endorsements), that every presented
// record is the value its transaction wrote, that the hashes of the terms,
// price model and offering version recompute, that every act's EIP-712
// signature recovers to a key its party had registered at that time, and
// that every allocation share and invoice line recomputes to the cent. It
// never contacts a ledger. The report names every check and the first that
// failed; the signed terms are filled as far as they verified.
func Verify(b *Bundle, trust *Trust) (*Report, *SignedTerms) {
	r := &Report{Agreement: b.Agreement, Backend: b.Backend}
	terms := verify(r, b, trust)
	r.OK = !r.Failed() && len(r.Items) > 0
	return r, terms
}

func verify(r *Report, b *Bundle, trust *Trust) *SignedTerms {
	if b.Format != Format {
		r.Add(CheckFormat, "bundle", fmt.Errorf("format %q, this verifier reads %q", b.Format, Format))
		return nil
	}
	if trust == nil || len(trust.Roots) == 0 {
		r.Add(CheckRoots, "trust", errors.New("no root certificates supplied: nothing to verify against"))
		return nil
	}
	r.Add(CheckEIP712, "bundle", eip712Err(b))

	var txs []*Tx
	switch b.Backend {
	case evidence.BackendEmbedded:
		txs = VerifyEmbedded(r, b.Embedded, trust, b.Channel, b.Chaincode, b.Transactions)
		if len(txs) > 0 {
			r.Pass(CheckEndorsementPolicy, "embedded ledger", "one node simulates, orders and commits; its signature on each block is the endorsement")
		}
	case evidence.BackendFabric:
		if b.Fabric == nil {
			r.Add(CheckBlocks, "bundle", errors.New("a fabric bundle without fabric blocks"))
			return nil
		}
		txs = VerifyFabric(r, b.Fabric, trust, b.Channel, b.Chaincode, b.Transactions)
	default:
		r.Add(CheckBackend, "bundle", fmt.Errorf("unknown backend %q", b.Backend))
		return nil
	}
	if len(txs) == 0 {
		r.Add(CheckTransactions, "bundle", errors.New("no transaction of the bundle verified"))
		return nil
	}
	slices.SortFunc(txs, ledgerOrder)
	c := &checker{r: r, b: b, txs: txs, byID: map[string]*Tx{}}
	for _, t := range txs {
		c.byID[t.ID] = t
	}
	return c.records()
}

// ledgerOrder orders transactions as the ledger does: by block, then by
// position in the block.
func ledgerOrder(x, y *Tx) int {
	return cmp.Or(cmp.Compare(x.Block, y.Block), cmp.Compare(x.Index, y.Index))
}

func eip712Err(b *Bundle) error {
	want := schema.Domain(b.Channel)
	if !reflect.DeepEqual(b.EIP712.Domain, want) {
		return fmt.Errorf("the bundle's domain %+v is not the registry's domain for channel %q", b.EIP712.Domain, b.Channel)
	}
	if !reflect.DeepEqual(b.EIP712.Types, schema.Types()) {
		return errors.New("the bundle's types are not the registry's EIP-712 types")
	}
	return nil
}

// checker checks the records against the verified transactions.
type checker struct {
	r    *Report
	b    *Bundle
	txs  []*Tx // ledger order
	byID map[string]*Tx
}

// lastWrite returns the last verified write of key and its transaction.
func (c *checker) lastWrite(key string) (Write, *Tx, bool) {
	for i := len(c.txs) - 1; i >= 0; i-- {
		if w, ok := c.txs[i].write(key); ok {
			return w, c.txs[i], true
		}
	}
	return Write{}, nil, false
}

// writtenAsOf returns the value of key as the transactions up to and
// including at left it.
func (c *checker) writtenAsOf(key string, at *Tx) ([]byte, bool) {
	var val []byte
	found := false
	for _, t := range c.txs {
		if t.Block > at.Block || (t.Block == at.Block && t.Index > at.Index) {
			break
		}
		if w, ok := t.write(key); ok {
			val, found = w.Value, !w.IsDelete
		}
	}
	return val, found
}

// presented checks that a presented record is the value the last
// transaction of the bundle that wrote key wrote, and decodes it into v.
func (c *checker) presented(what, key string, raw json.RawMessage, v any) (*Tx, bool) {
	w, t, ok := c.lastWrite(key)
	if !ok {
		c.r.Add(CheckRecordWritten, what, fmt.Errorf("no transaction of the bundle wrote %s", what))
		return nil, false
	}
	return t, c.matches(what, w, t, raw, v)
}

// matches checks that a presented record is the value a transaction wrote.
func (c *checker) matches(what string, w Write, t *Tx, raw json.RawMessage, v any) bool {
	subject := fmt.Sprintf("%s, written by tx %s in block %d", what, t.ID, t.Block)
	if w.IsDelete {
		c.r.Add(CheckRecordWritten, subject, errors.New("the transaction deleted it"))
		return false
	}
	var got, want bytes.Buffer
	if err := json.Compact(&got, raw); err != nil {
		c.r.Add(CheckRecordWritten, subject, fmt.Errorf("the presented record is not JSON: %w", err))
		return false
	}
	if err := json.Compact(&want, w.Value); err != nil {
		c.r.Add(CheckRecordWritten, subject, fmt.Errorf("the written value is not JSON: %w", err))
		return false
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		c.r.Add(CheckRecordWritten, subject, fmt.Errorf("the presented record differs from the value written: %s", firstDifference(got.Bytes(), want.Bytes())))
		return false
	}
	if err := json.Unmarshal(want.Bytes(), v); err != nil {
		c.r.Add(CheckRecordWritten, subject, fmt.Errorf("decode: %w", err))
		return false
	}
	c.r.Pass(CheckRecordWritten, subject, "the presented record is the value in the transaction's write set")
	return true
}

func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-24)
	clip := func(b []byte) string { return string(b[from:min(len(b), i+24)]) }
	return fmt.Sprintf("at byte %d: presented …%s…, written …%s…", i, clip(got), clip(want))
}

func (c *checker) records() *SignedTerms {
	var a schema.Agreement
	written, ok := c.presented("agreement "+c.b.Agreement, schema.AgreementKey(c.b.Agreement), c.b.Records.Agreement, &a)
	if !ok {
		return nil
	}
	if a.ID != c.b.Agreement {
		c.r.Add(CheckRecordWritten, "agreement", fmt.Errorf("the record is agreement %q, the bundle names %q", a.ID, c.b.Agreement))
		return nil
	}
	st := &SignedTerms{Agreement: a.ID, Status: a.Status, AsOfBlock: schema.Uint(written.Block), Domain: schema.DomainFields(c.b.Channel)}

	// The offering version the agreement names.
	var ov schema.OfferingVersion
	if len(c.b.Records.OfferingVersion) > 0 {
		if _, ok := c.presented(fmt.Sprintf("offering %s version %d", a.Offering, a.OfferingVersion),
			schema.OfferingVersionKey(a.Offering, a.OfferingVersion), c.b.Records.OfferingVersion, &ov); ok {
			c.hash(CheckOfferingHash, fmt.Sprintf("offering %s version %d", ov.Offering, ov.Version), schema.TypeOffering, &ov.OfferingContent, ov.Hash, a.OfferingHash)
			switch m := c.act("offeringVersion", &ov.Submitted, schema.OfferingVersionKey(a.Offering, a.OfferingVersion), schema.OfferingVersionKey(a.Offering, a.OfferingVersion), []string{ov.Supplier}, st).(type) {
			case nil:
			case *schema.SubmitOfferingMessage:
				c.signedContent(&ov.Submitted, schema.TypeOffering, &m.OfferingContent, ov.Hash)
			default:
				c.r.Add(CheckSignedMessage, "offering version", fmt.Errorf("submitted by a %s act, not SubmitOffering", ov.Submitted.Type))
			}
		}
	} else {
		c.r.Add(CheckRecordWritten, "offering version", errors.New("the bundle presents no offering version"))
	}
	c.acceptance(&a, st)

	// Price-model versions the fee versions name.
	priceModels := map[schema.Uint]*schema.PriceModel{}
	for _, raw := range c.b.Records.PriceModels {
		var probe schema.PriceModel
		if err := json.Unmarshal(raw, &probe); err != nil {
			c.r.Add(CheckRecordWritten, "price model", fmt.Errorf("decode: %w", err))
			continue
		}
		pm := &schema.PriceModel{}
		subject := fmt.Sprintf("price model %s version %d", probe.Offering, probe.Version)
		if probe.Offering != a.Offering {
			c.r.Add(CheckRecordWritten, subject, fmt.Errorf("of offering %s, the agreement is for %s", probe.Offering, a.Offering))
			continue
		}
		if _, ok := c.presented(subject, schema.PriceModelKey(probe.Offering, probe.Version), raw, pm); !ok {
			continue
		}
		c.hash(CheckPriceModelHash, subject, schema.TypePriceModel, &pm.PriceModelContent, pm.Hash, "")
		switch m := c.act("priceModel", &pm.Published, schema.PriceModelKey(pm.Offering, pm.Version), schema.PriceModelKey(pm.Offering, pm.Version), []string{a.Supplier}, st).(type) {
		case nil:
		case *schema.PublishPriceModelMessage:
			c.signedContent(&pm.Published, schema.TypePriceModel, &m.PriceModelContent, pm.Hash)
		default:
			c.r.Add(CheckSignedMessage, subject, fmt.Errorf("published by a %s act, not PublishPriceModel", pm.Published.Type))
		}
		priceModels[pm.Version] = pm
	}

	// The figure versions and allocations the fee adjustments rest on.
	figs := c.figures(&a, st)
	allocs := c.allocations(&a, priceModels, figs, st)

	// Fee versions, their terms, and the terms hash the agreement holds.
	shown := a.EffectiveVersion
	if shown == 0 {
		shown = a.FeeVersion
	}
	feeVersions := map[schema.Uint]*schema.FeeVersion{}
	for _, raw := range c.b.Records.FeeVersions {
		var probe schema.FeeVersion
		if err := json.Unmarshal(raw, &probe); err != nil {
			c.r.Add(CheckRecordWritten, "fee version", fmt.Errorf("decode: %w", err))
			continue
		}
		subject := fmt.Sprintf("fee version %d of %s", probe.Version, a.ID)
		fv := &schema.FeeVersion{}
		if probe.Agreement != a.ID {
			c.r.Add(CheckRecordWritten, subject, fmt.Errorf("of agreement %s", probe.Agreement))
			continue
		}
		if _, ok := c.presented(subject, schema.FeeVersionKey(a.ID, probe.Version), raw, fv); !ok {
			continue
		}
		feeVersions[fv.Version] = fv
		terms := schema.TermsOf(&a, fv)
		c.hash(CheckTermsHash, subject, schema.TypeTerms, &terms, fv.TermsHash, "")
		pm, ok := priceModels[fv.PriceModelVersion]
		switch {
		case !ok:
			c.r.Add(CheckPriceModelNamed, subject, fmt.Errorf("price-model version %d is not in the bundle", fv.PriceModelVersion))
		case pm.Hash != fv.PriceModelHash:
			c.r.Add(CheckPriceModelNamed, subject, fmt.Errorf("names price-model hash %s, version %d has %s", fv.PriceModelHash, fv.PriceModelVersion, pm.Hash))
		default:
			c.r.Pass(CheckPriceModelNamed, subject, fmt.Sprintf("price-model version %d, hash %s", fv.PriceModelVersion, pm.Hash))
		}
		if fv.Version == a.FeeVersion && fv.TermsHash != a.TermsHash {
			c.r.Add(CheckTermsHash, "agreement "+a.ID, fmt.Errorf("holds terms hash %s, fee version %d has %s", a.TermsHash, fv.Version, fv.TermsHash))
		}
		if fv.Version == a.EffectiveVersion && fv.TermsHash != a.EffectiveTerms {
			c.r.Add(CheckTermsHash, "agreement "+a.ID, fmt.Errorf("holds effective terms %s, fee version %d has %s", a.EffectiveTerms, fv.Version, fv.TermsHash))
		}
		if fv.Version == shown {
			st.FeeVersion, st.TermsHash, st.Terms = fv.Version, fv.TermsHash, &terms
		}
	}
	for v := schema.Uint(1); v <= a.FeeVersion; v++ {
		if feeVersions[v] == nil {
			c.r.Add(CheckRecordWritten, fmt.Sprintf("fee version %d of %s", v, a.ID), errors.New("the agreement has it; the bundle does not present it"))
		}
	}

	// Every act on the agreement, and what it signed.
	var signed []signedAct
	if n := schema.Uint(len(c.b.Records.AgreementActs)); n != a.ActCount {
		c.r.Add(CheckRecordWritten, "acts of agreement "+a.ID, fmt.Errorf("the agreement counts %d signed acts, the bundle presents %d", a.ActCount, n))
	}
	acts := make([]schema.SignedAct, len(c.b.Records.AgreementActs))
	for i, raw := range c.b.Records.AgreementActs {
		key := schema.ActKey(schema.RecordAgreement, a.ID, schema.Uint(i+1))
		if _, ok := c.presented(fmt.Sprintf("act %d on agreement %s", i+1, a.ID), key, raw, &acts[i]); !ok {
			continue
		}
		if m := c.act("agreement", &acts[i], key, schema.AgreementKey(a.ID), []string{a.Customer, a.Supplier, a.Anbieter}, st); m != nil {
			signed = append(signed, signedAct{&acts[i], m})
			c.r.Add(CheckSignedMessage, actName(&acts[i]), signedMessageErr(&a, &acts[i], m, feeVersions, allocs))
		}
	}
	c.termsInForce(&a, feeVersions, signed)

	// The invoices, recomputed.
	c.invoices(&a, priceModels, feeVersions, st)
	return st
}

// hash recomputes a content hash and compares it with the stored one (and
// with the one another record names, if any).
func (c *checker) hash(check Check, subject, primaryType string, content any, stored, named string) {
	got, err := schema.ContentHash(c.b.Channel, primaryType, content)
	switch {
	case err != nil:
	case got != stored:
		err = fmt.Errorf("the content hashes to %s, the record says %s", got, stored)
	case named != "" && named != stored:
		err = fmt.Errorf("the agreement names %s, the record's hash is %s", named, stored)
	}
	if c.r.Add(check, subject, err) {
		c.r.Items[len(c.r.Items)-1].Detail = "EIP-712 " + primaryType + " digest " + got
	}
}
