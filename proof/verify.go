package proof

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
)

// SignedTerms is what the verification establishes about an agreement: its
// canonical terms, and every act on it with the signature, the recovered
// signer, the key registration it matched and the transaction that carried it.
type SignedTerms struct {
	Agreement string `json:"agreement"`
	Status    string `json:"status"`
	// FeeVersion is the fee version whose terms are shown: the one in force,
	// or the latest entered before the order.
	FeeVersion uint64           `json:"feeVersion"`
	TermsHash  string           `json:"termsHash"`
	Terms      *chaincode.Terms `json:"terms"`
	// AsOfBlock is the block of the agreement's newest change in the
	// evidence: the agreement is proven as that transaction wrote it. A
	// bundle cannot show that no later change exists.
	AsOfBlock uint64     `json:"asOfBlock"`
	Acts      []ActProof `json:"acts"`
}

// ActProof is one signed act and its ledger proof.
type ActProof struct {
	Type      string `json:"type"`
	Record    string `json:"record"` // agreement, feeVersion, priceModel, offeringVersion
	Party     string `json:"party"`
	Signature string `json:"signature"`
	Digest    string `json:"digest"`
	// Recovered is the address the signature recovers to from the digest
	// recomputed here.
	Recovered string `json:"recovered"`
	// Key is the party's key registration the signer matched at the time of
	// the act.
	Key         *chaincode.Key `json:"key,omitempty"`
	TxID        string         `json:"txId"`
	BlockNumber uint64         `json:"blockNumber"`
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
// price model and offering version recompute, and that every act's EIP-712
// signature recovers to a key its party had registered at that time. It
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
		r.Add("format", "bundle", fmt.Errorf("format %q, this verifier reads %q", b.Format, Format))
		return nil
	}
	if trust == nil || len(trust.Roots) == 0 {
		r.Add("roots", "trust", errors.New("no root certificates supplied: nothing to verify against"))
		return nil
	}
	r.Add("eip712 domain and types", "bundle", eip712Err(b))

	var txs []*Tx
	switch b.Backend {
	case BackendEmbedded:
		txs = VerifyEmbedded(r, b.Embedded, trust, b.Channel, b.Chaincode, b.Transactions)
		if len(txs) > 0 {
			r.Pass("endorsement policy", "embedded ledger", "one node simulates, orders and commits; its signature on each block is the endorsement")
		}
	case BackendFabric:
		if b.Fabric == nil {
			r.Add("blocks", "bundle", errors.New("a fabric bundle without fabric blocks"))
			return nil
		}
		txs = VerifyFabric(r, b.Fabric, trust, b.Channel, b.Chaincode, b.Transactions)
	default:
		r.Add("backend", "bundle", fmt.Errorf("unknown backend %q", b.Backend))
		return nil
	}
	if len(txs) == 0 {
		r.Add("transactions", "bundle", errors.New("no transaction of the bundle verified"))
		return nil
	}
	slices.SortFunc(txs, func(x, y *Tx) int {
		if x.Block != y.Block {
			return cmpUint(x.Block, y.Block)
		}
		return x.Index - y.Index
	})
	c := &checker{r: r, b: b, txs: txs, byID: map[string]*Tx{}}
	for _, t := range txs {
		c.byID[t.ID] = t
	}
	return c.records()
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func eip712Err(b *Bundle) error {
	want := chaincode.Domain(b.Channel)
	if !reflect.DeepEqual(b.EIP712.Domain, want) {
		return fmt.Errorf("the bundle's domain %+v is not the registry's domain for channel %q", b.EIP712.Domain, b.Channel)
	}
	if !reflect.DeepEqual(b.EIP712.Types, chaincode.Types()) {
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

// presented checks that a presented record is the value its transaction
// wrote to key, and decodes it into v.
func (c *checker) presented(what, key string, raw json.RawMessage, v any) (*Tx, bool) {
	w, t, ok := c.lastWrite(key)
	if !ok {
		c.r.Add("record written", what, fmt.Errorf("no transaction of the bundle wrote %s", what))
		return nil, false
	}
	subject := fmt.Sprintf("%s, written by tx %s in block %d", what, t.ID, t.Block)
	if w.IsDelete {
		c.r.Add("record written", subject, errors.New("the transaction deleted it"))
		return nil, false
	}
	var got, want bytes.Buffer
	if err := json.Compact(&got, raw); err != nil {
		c.r.Add("record written", subject, fmt.Errorf("the presented record is not JSON: %w", err))
		return nil, false
	}
	if err := json.Compact(&want, w.Value); err != nil {
		c.r.Add("record written", subject, fmt.Errorf("the written value is not JSON: %w", err))
		return nil, false
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		c.r.Add("record written", subject, fmt.Errorf("the presented record differs from the value written: %s", firstDifference(got.Bytes(), want.Bytes())))
		return nil, false
	}
	if err := json.Unmarshal(want.Bytes(), v); err != nil {
		c.r.Add("record written", subject, fmt.Errorf("decode: %w", err))
		return nil, false
	}
	c.r.Pass("record written", subject, "the presented record is the value in the transaction's write set")
	return t, true
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
	var a chaincode.Agreement
	written, ok := c.presented("agreement "+c.b.Agreement, chaincode.AgreementKey(c.b.Agreement), c.b.Records.Agreement, &a)
	if !ok {
		return nil
	}
	if a.ID != c.b.Agreement {
		c.r.Add("record written", "agreement", fmt.Errorf("the record is agreement %q, the bundle names %q", a.ID, c.b.Agreement))
		return nil
	}
	st := &SignedTerms{Agreement: a.ID, Status: a.Status, AsOfBlock: written.Block}

	// The offering version the agreement names.
	var ov chaincode.OfferingVersion
	if len(c.b.Records.OfferingVersion) > 0 {
		if _, ok := c.presented(fmt.Sprintf("offering %s version %d", a.Offering, a.OfferingVersion),
			chaincode.OfferingVersionKey(a.Offering, a.OfferingVersion), c.b.Records.OfferingVersion, &ov); ok {
			c.hash("offering hash", fmt.Sprintf("offering %s version %d", ov.Offering, ov.Version), chaincode.TypeOffering, &ov.OfferingContent, ov.Hash, a.OfferingHash)
			switch m := c.act("offeringVersion", &ov.Submitted, chaincode.OfferingVersionKey(a.Offering, a.OfferingVersion), []string{ov.Supplier}, st).(type) {
			case nil:
			case *chaincode.SubmitOfferingMessage:
				c.signedContent(&ov.Submitted, chaincode.TypeOffering, &m.OfferingContent, ov.Hash)
			default:
				c.r.Add("signed message", "offering version", fmt.Errorf("submitted by a %s act, not SubmitOffering", ov.Submitted.Type))
			}
		}
	} else {
		c.r.Add("record written", "offering version", errors.New("the bundle presents no offering version"))
	}

	// Price-model versions the fee versions name.
	priceModels := map[uint64]*chaincode.PriceModel{}
	for _, raw := range c.b.Records.PriceModels {
		var probe chaincode.PriceModel
		if err := json.Unmarshal(raw, &probe); err != nil {
			c.r.Add("record written", "price model", fmt.Errorf("decode: %w", err))
			continue
		}
		pm := &chaincode.PriceModel{}
		subject := fmt.Sprintf("price model %s version %d", probe.Offering, probe.Version)
		if probe.Offering != a.Offering {
			c.r.Add("record written", subject, fmt.Errorf("of offering %s, the agreement is for %s", probe.Offering, a.Offering))
			continue
		}
		if _, ok := c.presented(subject, chaincode.PriceModelKey(probe.Offering, uint64(probe.Version)), raw, pm); !ok {
			continue
		}
		c.hash("price-model hash", subject, chaincode.TypePriceModel, &pm.PriceModelContent, pm.Hash, "")
		switch m := c.act("priceModel", &pm.Published, chaincode.PriceModelKey(pm.Offering, uint64(pm.Version)), []string{a.Supplier}, st).(type) {
		case nil:
		case *chaincode.PublishPriceModelMessage:
			c.signedContent(&pm.Published, chaincode.TypePriceModel, &m.PriceModelContent, pm.Hash)
		default:
			c.r.Add("signed message", subject, fmt.Errorf("published by a %s act, not PublishPriceModel", pm.Published.Type))
		}
		priceModels[uint64(pm.Version)] = pm
	}

	// Fee versions, their terms, and the terms hash the agreement holds.
	shown := a.EffectiveVersion
	if shown == 0 {
		shown = a.FeeVersion
	}
	feeVersions := map[uint64]*chaincode.FeeVersion{}
	for _, raw := range c.b.Records.FeeVersions {
		var probe chaincode.FeeVersion
		if err := json.Unmarshal(raw, &probe); err != nil {
			c.r.Add("record written", "fee version", fmt.Errorf("decode: %w", err))
			continue
		}
		subject := fmt.Sprintf("fee version %d of %s", probe.Version, a.ID)
		fv := &chaincode.FeeVersion{}
		if probe.Agreement != a.ID {
			c.r.Add("record written", subject, fmt.Errorf("of agreement %s", probe.Agreement))
			continue
		}
		if _, ok := c.presented(subject, chaincode.FeeVersionKey(a.ID, probe.Version), raw, fv); !ok {
			continue
		}
		feeVersions[fv.Version] = fv
		terms := chaincode.TermsOf(&a, fv)
		c.hash("terms hash", subject, chaincode.TypeTerms, &terms, fv.TermsHash, "")
		pm, ok := priceModels[fv.PriceModelVersion]
		switch {
		case !ok:
			c.r.Add("price model named", subject, fmt.Errorf("price-model version %d is not in the bundle", fv.PriceModelVersion))
		case pm.Hash != fv.PriceModelHash:
			c.r.Add("price model named", subject, fmt.Errorf("names price-model hash %s, version %d has %s", fv.PriceModelHash, fv.PriceModelVersion, pm.Hash))
		default:
			c.r.Pass("price model named", subject, fmt.Sprintf("price-model version %d, hash %s", fv.PriceModelVersion, pm.Hash))
		}
		if fv.Version == a.FeeVersion && fv.TermsHash != a.TermsHash {
			c.r.Add("terms hash", "agreement "+a.ID, fmt.Errorf("holds terms hash %s, fee version %d has %s", a.TermsHash, fv.Version, fv.TermsHash))
		}
		if fv.Version == a.EffectiveVersion && fv.TermsHash != a.EffectiveTerms {
			c.r.Add("terms hash", "agreement "+a.ID, fmt.Errorf("holds effective terms %s, fee version %d has %s", a.EffectiveTerms, fv.Version, fv.TermsHash))
		}
		if fv.Version == shown {
			st.FeeVersion, st.TermsHash, st.Terms = fv.Version, fv.TermsHash, &terms
		}
	}
	for v := uint64(1); v <= a.FeeVersion; v++ {
		if feeVersions[v] == nil {
			c.r.Add("record written", fmt.Sprintf("fee version %d of %s", v, a.ID), errors.New("the agreement has it; the bundle does not present it"))
		}
	}

	// Every act on the agreement, and what it signed.
	var signed []signedAct
	for i := range a.Acts {
		if m := c.act("agreement", &a.Acts[i], chaincode.AgreementKey(a.ID), []string{a.Customer, a.Supplier, a.Anbieter}, st); m != nil {
			signed = append(signed, signedAct{&a.Acts[i], m})
			c.r.Add("signed message", fmt.Sprintf("%s by %s in tx %s", a.Acts[i].Type, a.Acts[i].Party, a.Acts[i].TxID), signedMessageErr(&a, &a.Acts[i], m, feeVersions))
		}
	}
	c.termsInForce(&a, feeVersions, signed)
	return st
}

// signedAct is an act whose signature verified, with its decoded message.
type signedAct struct {
	act *chaincode.SignedAct
	m   chaincode.Message
}

// signedContent checks that the content the party signed hashes to the
// record's hash: the record is what was signed.
func (c *checker) signedContent(act *chaincode.SignedAct, primaryType string, content any, hash string) {
	subject := fmt.Sprintf("%s by %s in tx %s", act.Type, act.Party, act.TxID)
	got, err := chaincode.ContentHash(c.b.Channel, primaryType, content)
	if err == nil && got != hash {
		err = fmt.Errorf("the signed content hashes to %s, the record's hash is %s", got, hash)
	}
	c.r.Add("signed message", subject, err)
}

// signedMessageErr checks that an act on the agreement signed what the
// records hold: its target, the fees entered, the terms approved or ordered.
func signedMessageErr(a *chaincode.Agreement, act *chaincode.SignedAct, m chaincode.Message, fvs map[uint64]*chaincode.FeeVersion) error {
	target := ""
	switch m := m.(type) {
	case *chaincode.ExpressInterestMessage:
		target = m.Agreement
		if m.Offering != a.Offering || m.Customer != a.Customer || m.ParentAgreement != a.ParentAgreement {
			return fmt.Errorf("signed interest in offering %s for customer %s (parent %q); the agreement has %s, %s (parent %q)",
				m.Offering, m.Customer, m.ParentAgreement, a.Offering, a.Customer, a.ParentAgreement)
		}
	case *chaincode.EnterFeesMessage:
		target = m.Agreement
		fv := fvs[uint64(m.FeeVersion)]
		switch {
		case fv == nil:
			return fmt.Errorf("entered fee version %d, which the bundle does not present", m.FeeVersion)
		case fv.PriceModelHash != m.PriceModelHash || fv.Fees != (chaincode.Fees{AnnualFee: uint64(m.AnnualFee), ProRataFee: uint64(m.ProRataFee),
			ConnectionFee: uint64(m.ConnectionFee), ScopeOfUse: m.ScopeOfUse}):
			return fmt.Errorf("the signed fees (%d, %d, %d, %q, price model %s) are not fee version %d's (%d, %d, %d, %q, price model %s)",
				m.AnnualFee, m.ProRataFee, m.ConnectionFee, m.ScopeOfUse, m.PriceModelHash,
				fv.Version, fv.Fees.AnnualFee, fv.Fees.ProRataFee, fv.Fees.ConnectionFee, fv.Fees.ScopeOfUse, fv.PriceModelHash)
		case fv.Entered.TxID != act.TxID:
			return fmt.Errorf("fee version %d was entered in tx %s", fv.Version, fv.Entered.TxID)
		}
	case *chaincode.ApproveFeesMessage:
		target = m.Agreement
		fv := fvs[uint64(m.FeeVersion)]
		switch {
		case m.Party != act.Party:
			return fmt.Errorf("signed for party %s, recorded for %s", m.Party, act.Party)
		case fv == nil:
			return fmt.Errorf("approved fee version %d, which the bundle does not present", m.FeeVersion)
		case fv.TermsHash != m.TermsHash:
			return fmt.Errorf("approved terms %s; fee version %d's terms are %s", m.TermsHash, fv.Version, fv.TermsHash)
		}
	case *chaincode.PlaceOrderMessage:
		target = m.Agreement
		found := false
		for _, fv := range fvs {
			found = found || fv.TermsHash == m.TermsHash
		}
		if !found {
			return fmt.Errorf("ordered terms %s, the terms of no fee version", m.TermsHash)
		}
	case *chaincode.TerminateMessage:
		target = m.Agreement
		if m.Party != act.Party || m.EndDate != a.EndDate {
			return fmt.Errorf("signed termination for %s at %s; the record has %s at %s", m.Party, m.EndDate, act.Party, a.EndDate)
		}
	default:
		return fmt.Errorf("%s is not an act on an agreement", act.Type)
	}
	if target != a.ID {
		return fmt.Errorf("the message is about agreement %s, not %s", target, a.ID)
	}
	return nil
}

// termsInForce checks that the terms in force were approved by the customer
// and the Anbieter with verified signatures, and that the customer ordered
// approved terms after both approvals: the terms in force themselves, or — after
// a fee change — those of an earlier fee version, the change then being
// approved by both again.
func (c *checker) termsInForce(a *chaincode.Agreement, fvs map[uint64]*chaincode.FeeVersion, signed []signedAct) {
	if a.EffectiveVersion == 0 {
		return
	}
	subject := fmt.Sprintf("fee version %d of %s", a.EffectiveVersion, a.ID)
	fv := fvs[a.EffectiveVersion]
	if fv == nil {
		c.r.Add("terms in force signed", subject, errors.New("the bundle does not present the fee version in force"))
		return
	}
	approvals := func(v *chaincode.FeeVersion) map[string]*chaincode.SignedAct {
		out := map[string]*chaincode.SignedAct{}
		for _, s := range signed {
			if m, ok := s.m.(*chaincode.ApproveFeesMessage); ok && uint64(m.FeeVersion) == v.Version && m.TermsHash == v.TermsHash && out[s.act.Party] == nil {
				out[s.act.Party] = s.act
			}
		}
		return out
	}
	var order *chaincode.SignedAct
	var ordered *chaincode.FeeVersion
	for _, s := range signed {
		if m, ok := s.m.(*chaincode.PlaceOrderMessage); ok && s.act.Party == a.Customer {
			for _, v := range fvs {
				if v.TermsHash == m.TermsHash {
					order, ordered = s.act, v
				}
			}
			break
		}
	}
	var missing []string
	inForce := approvals(fv)
	for _, p := range []string{a.Customer, a.Anbieter} {
		if inForce[p] == nil {
			missing = append(missing, fmt.Sprintf("an approval of fee version %d by %s", fv.Version, p))
		}
	}
	if order == nil {
		missing = append(missing, "an order by "+a.Customer)
	} else {
		before := approvals(ordered)
		for _, p := range []string{a.Customer, a.Anbieter} {
			if ap := before[p]; ap == nil || !c.before(ap.TxID, order.TxID) {
				missing = append(missing, fmt.Sprintf("an approval by %s of the ordered fee version %d before the order", p, ordered.Version))
			}
		}
		if ordered.Version > fv.Version {
			missing = append(missing, fmt.Sprintf("terms in force at or after the ordered fee version %d", ordered.Version))
		}
	}
	if len(missing) > 0 {
		c.r.Add("terms in force signed", subject, fmt.Errorf("terms %s lack %s", fv.TermsHash, strings.Join(missing, "; ")))
		return
	}
	detail := fmt.Sprintf("terms %s approved by %s (tx %s) and %s (tx %s)", fv.TermsHash, a.Customer, inForce[a.Customer].TxID, a.Anbieter, inForce[a.Anbieter].TxID)
	if ordered.Version == fv.Version {
		detail += fmt.Sprintf(", then ordered by %s (tx %s)", a.Customer, order.TxID)
	} else {
		detail += fmt.Sprintf(", a fee change after %s ordered fee version %d (tx %s)", a.Customer, ordered.Version, order.TxID)
	}
	c.r.Pass("terms in force signed", subject, detail)
}

// before reports whether transaction x precedes y on the ledger.
func (c *checker) before(x, y string) bool {
	tx, ty := c.byID[x], c.byID[y]
	return tx != nil && ty != nil && (tx.Block < ty.Block || (tx.Block == ty.Block && tx.Index < ty.Index))
}

// hash recomputes a content hash and compares it with the stored one (and
// with the one another record names, if any).
func (c *checker) hash(check, subject, primaryType string, content any, stored, named string) {
	got, err := chaincode.ContentHash(c.b.Channel, primaryType, content)
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

// act checks one signed act: its transaction is in the evidence and wrote
// the record; the digest recomputes from the message; the signature
// recovers to the signer; the signer was a key of the party at the time.
func (c *checker) act(record string, act *chaincode.SignedAct, key string, parties []string, st *SignedTerms) chaincode.Message {
	subject := fmt.Sprintf("%s by %s in tx %s", act.Type, act.Party, act.TxID)
	p := ActProof{Type: act.Type, Record: record, Party: act.Party, Signature: act.Signature, Digest: act.Digest, TxID: act.TxID, Time: act.Time}
	defer func() { st.Acts = append(st.Acts, p) }()

	t, ok := c.byID[act.TxID]
	if !ok {
		c.r.Add("act transaction", subject, errors.New("its transaction is not in the bundle's verified evidence"))
		return nil
	}
	p.BlockNumber, p.TxIndex, p.ValidationCode, p.Endorsers = t.Block, t.Index, t.ValidationCode, t.Endorsers
	p.BlockHash, p.BlockSignedBy = hex.EncodeToString(t.BlockHash), t.BlockSignedBy
	if _, wrote := t.write(key); !wrote {
		c.r.Add("act transaction", subject, fmt.Errorf("the transaction did not write the %s", record))
		return nil
	}
	if !slices.Contains(parties, act.Party) {
		c.r.Add("act party", subject, fmt.Errorf("%s is none of the parties %s", act.Party, strings.Join(parties, ", ")))
		return nil
	}

	m, err := chaincode.NewMessage(act.Type)
	if err == nil {
		err = chaincode.DecodeMessage(string(act.Message), m)
	}
	var digest []byte
	if err == nil {
		var typed map[string]any
		if typed, err = chaincode.TypedMessage(m); err == nil {
			digest, err = chaincode.Digest(c.b.Channel, act.Type, typed)
		}
	}
	if err == nil && fmt.Sprintf("0x%x", digest) != act.Digest {
		err = fmt.Errorf("the message hashes to 0x%x, the record says %s", digest, act.Digest)
	}
	if !c.r.Add("act digest", subject, err) {
		return nil
	}
	signer, err := chaincode.RecoverSigner(digest, act.Signature)
	if err == nil {
		p.Recovered = signer.Hex()
		if p.Recovered != act.Signer {
			err = fmt.Errorf("the signature recovers to %s, the record says %s signed", p.Recovered, act.Signer)
		}
	}
	if !c.r.Add("act signature", subject, err) {
		return nil
	}

	// The party's keys as the ledger held them when the act ran.
	raw, found := c.writtenAsOf(chaincode.PartyKey(act.Party), t)
	if !found {
		c.r.Add("signer's key", subject, fmt.Errorf("no transaction of the bundle registered party %s before the act", act.Party))
		return nil
	}
	var party chaincode.Party
	if err := json.Unmarshal(raw, &party); err != nil {
		c.r.Add("signer's key", subject, fmt.Errorf("party %s as written: %w", act.Party, err))
		return nil
	}
	at := t.Timestamp.Unix()
	i := slices.IndexFunc(party.Keys, func(k chaincode.Key) bool { return k.Address == p.Recovered })
	if i < 0 {
		c.r.Add("signer's key", subject, fmt.Errorf("%s is not a key of party %s", p.Recovered, act.Party))
		return nil
	}
	k := party.Keys[i]
	if at < k.ValidFrom || (k.ValidUntil != 0 && at >= k.ValidUntil) {
		c.r.Add("signer's key", subject, fmt.Errorf("key %s of %s is valid from %d until %d, the act ran at %d", k.Address, act.Party, k.ValidFrom, k.ValidUntil, at))
		return nil
	}
	p.Key = &k
	added, ok := c.byID[k.AddedTx]
	if !ok {
		c.r.Add("signer's key", subject, fmt.Errorf("the transaction %s that registered key %s is not in the bundle's evidence", k.AddedTx, k.Address))
		return nil
	}
	if _, wrote := added.write(chaincode.PartyKey(act.Party)); !wrote {
		c.r.Add("signer's key", subject, fmt.Errorf("transaction %s did not write party %s", k.AddedTx, act.Party))
		return nil
	}
	c.r.Pass("signer's key", subject, fmt.Sprintf("%s, registered for %s in tx %s (block %d), valid at %s",
		k.Address, act.Party, k.AddedTx, added.Block, t.Timestamp.UTC().Format(time.RFC3339)))
	return m
}
