package proof

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/schema"
)

// signedAct is an act whose signature verified, with its decoded message.
type signedAct struct {
	act *schema.SignedAct
	m   schema.Message
}

// signedContent checks that the content the party signed hashes to the
// record's hash: the record is what was signed.
func (c *checker) signedContent(act *schema.SignedAct, primaryType string, content any, hash string) {
	subject := fmt.Sprintf("%s by %s in tx %s", act.Type, act.Party, act.TxID)
	got, err := schema.ContentHash(c.b.Channel, primaryType, content)
	if err == nil && got != hash {
		err = fmt.Errorf("the signed content hashes to %s, the record's hash is %s", got, hash)
	}
	c.r.Add(CheckSignedMessage, subject, err)
}

// signedMessageErr checks that an act on the agreement signed what the
// records hold: its target, the fees entered, the terms approved or
// ordered, the annual fee a fee adjustment set (the agreement's share in
// the allocation it names, allocs).
func signedMessageErr(a *schema.Agreement, act *schema.SignedAct, m schema.Message, fvs map[schema.Uint]*schema.FeeVersion, allocs map[allocationID]*presentedAllocation) error {
	target := ""
	switch m := m.(type) {
	case *schema.ExpressInterestMessage:
		target = m.Agreement
		if m.Offering != a.Offering || m.Customer != a.Customer || m.ParentAgreement != a.ParentAgreement {
			return fmt.Errorf("signed interest in offering %s for customer %s (parent %q); the agreement has %s, %s (parent %q)",
				m.Offering, m.Customer, m.ParentAgreement, a.Offering, a.Customer, a.ParentAgreement)
		}
	case *schema.EnterFeesMessage:
		target = m.Agreement
		fv := fvs[m.FeeVersion]
		switch {
		case fv == nil:
			return fmt.Errorf("entered fee version %d, which the bundle does not present", m.FeeVersion)
		case fv.PriceModelHash != m.PriceModelHash || fv.Fees != (schema.Fees{AnnualFee: m.AnnualFee, ProRataFee: m.ProRataFee,
			ConnectionFee: m.ConnectionFee, ScopeOfUse: m.ScopeOfUse}):
			return fmt.Errorf("the signed fees (%d, %d, %d, %q, price model %s) are not fee version %d's (%d, %d, %d, %q, price model %s)",
				m.AnnualFee, m.ProRataFee, m.ConnectionFee, m.ScopeOfUse, m.PriceModelHash,
				fv.Version, fv.Fees.AnnualFee, fv.Fees.ProRataFee, fv.Fees.ConnectionFee, fv.Fees.ScopeOfUse, fv.PriceModelHash)
		case fv.Entered.TxID != act.TxID:
			return fmt.Errorf("fee version %d was entered in tx %s", fv.Version, fv.Entered.TxID)
		}
	case *schema.AdjustFeesMessage:
		if err := adjustmentErr(a, act, m, fvs, allocs); err != nil {
			return err
		}
		target = a.ID
	case *schema.ApproveFeesMessage:
		target = m.Agreement
		fv := fvs[m.FeeVersion]
		switch {
		case m.Party != act.Party:
			return fmt.Errorf("signed for party %s, recorded for %s", m.Party, act.Party)
		case fv == nil:
			return fmt.Errorf("approved fee version %d, which the bundle does not present", m.FeeVersion)
		case fv.TermsHash != m.TermsHash:
			return fmt.Errorf("approved terms %s; fee version %d's terms are %s", m.TermsHash, fv.Version, fv.TermsHash)
		}
	case *schema.PlaceOrderMessage:
		target = m.Agreement
		found := false
		for _, fv := range fvs {
			found = found || fv.TermsHash == m.TermsHash
		}
		if !found {
			return fmt.Errorf("ordered terms %s, the terms of no fee version", m.TermsHash)
		}
	case *schema.TerminateMessage:
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

// adjustmentErr checks a fee adjustment on the agreement: it names the
// agreement's offering and the agreement; the annual fee it signed for it is
// the annual fee of the fee version it entered, valid from 1 January after
// the allocation's year, under the allocation's price model, with no
// pro-rata or connection fee; and that fee is the agreement's share in the
// published allocation the bundle presents.
func adjustmentErr(a *schema.Agreement, act *schema.SignedAct, m *schema.AdjustFeesMessage, fvs map[schema.Uint]*schema.FeeVersion, allocs map[allocationID]*presentedAllocation) error {
	i := slices.Index(m.Agreements, a.ID)
	if m.Offering != a.Offering || i < 0 || i >= len(m.AnnualFees) {
		return fmt.Errorf("the fee adjustment of offering %s names agreements %v, not agreement %s of offering %s", m.Offering, m.Agreements, a.ID, a.Offering)
	}
	fee := m.AnnualFees[i]
	var fv *schema.FeeVersion
	for _, v := range fvs {
		if v.Entered.TxID == act.TxID {
			fv = v
		}
	}
	id := allocationID{m.Offering, m.Year, m.AllocationVersion}
	al := allocs[id]
	validFrom := schema.YearKey(m.Year+1) + "-01-01"
	switch {
	case fv == nil:
		return errors.New("the bundle presents no fee version this fee adjustment entered")
	case fv.Fees.AnnualFee != fee || fv.Fees.ProRataFee != 0 || fv.Fees.ConnectionFee != 0 || fv.ValidFrom != validFrom:
		return fmt.Errorf("signed an annual fee of %d cents from %s; fee version %d has %d (pro rata %d, connection %d) from %q",
			fee, validFrom, fv.Version, fv.Fees.AnnualFee, fv.Fees.ProRataFee, fv.Fees.ConnectionFee, fv.ValidFrom)
	case al == nil:
		return fmt.Errorf("adjusts to %s, which the bundle does not present", allocationName(id))
	case fv.PriceModelVersion != al.h.PriceModelVersion || fv.PriceModelHash != al.h.PriceModelHash:
		return fmt.Errorf("fee version %d names price-model version %d (%s); %s is under version %d (%s)",
			fv.Version, fv.PriceModelVersion, fv.PriceModelHash, allocationName(id), al.h.PriceModelVersion, al.h.PriceModelHash)
	case al.entries[a.ID] == nil:
		return fmt.Errorf("%s presents no share of agreement %s", allocationName(id), a.ID)
	case al.entries[a.ID].Share.Cents != fee:
		return fmt.Errorf("signed an annual fee of %d cents; the agreement's share in %s is %d cents", fee, allocationName(id), al.entries[a.ID].Share.Cents)
	}
	return nil
}

// act checks one signed act: its transaction is in the evidence and wrote
// the act where it is kept (key: a version's key, or the act's own ActKey)
// and the record the act changed (recordKey, which for a version is key
// itself); the digest recomputes from the message; the signature recovers to
// the signer; the signer was a key of the party at the time.
func (c *checker) act(record string, act *schema.SignedAct, key, recordKey string, parties []string, st *SignedTerms) schema.Message {
	subject := fmt.Sprintf("%s by %s in tx %s", act.Type, act.Party, act.TxID)
	p := ActProof{Type: act.Type, Record: record, Party: act.Party, Message: act.Message, Signature: act.Signature, Digest: act.Digest, TxID: act.TxID, Time: act.Time}
	p.Types, _ = schema.TypeOf(act.Type)
	defer func() { st.Acts = append(st.Acts, p) }()

	t, ok := c.byID[act.TxID]
	if !ok {
		c.r.Add(CheckActTransaction, subject, errors.New("its transaction is not in the bundle's verified evidence"))
		return nil
	}
	p.BlockNumber, p.TxIndex, p.ValidationCode, p.Endorsers = schema.Uint(t.Block), t.Index, t.ValidationCode, t.Endorsers
	p.BlockHash, p.BlockSignedBy = hex.EncodeToString(t.BlockHash), t.BlockSignedBy
	if _, wrote := t.write(key); !wrote {
		c.r.Add(CheckActTransaction, subject, fmt.Errorf("the transaction did not write the act under %q", key))
		return nil
	}
	if _, wrote := t.write(recordKey); !wrote {
		c.r.Add(CheckActTransaction, subject, fmt.Errorf("the transaction did not write the %s", record))
		return nil
	}
	if !slices.Contains(parties, act.Party) {
		c.r.Add(CheckActParty, subject, fmt.Errorf("%s is none of the parties %s", act.Party, strings.Join(parties, ", ")))
		return nil
	}

	m, err := schema.NewMessage(act.Type)
	if err == nil {
		err = schema.DecodeMessage(string(act.Message), m)
	}
	var digest []byte
	if err == nil {
		digest, err = schema.DigestOf(c.b.Channel, act.Type, m)
	}
	if err == nil && fmt.Sprintf("0x%x", digest) != act.Digest {
		err = fmt.Errorf("the message hashes to 0x%x, the record says %s", digest, act.Digest)
	}
	if !c.r.Add(CheckActDigest, subject, err) {
		return nil
	}
	signer, err := schema.RecoverSigner("signature", digest, act.Signature)
	if err == nil {
		p.Recovered = signer.Hex()
		if p.Recovered != act.Signer {
			err = fmt.Errorf("the signature recovers to %s, the record says %s signed", p.Recovered, act.Signer)
		}
	}
	if !c.r.Add(CheckActSignature, subject, err) {
		return nil
	}

	// The party's keys as the ledger held them when the act ran.
	raw, found := c.writtenAsOf(schema.PartyKey(act.Party), t)
	if !found {
		c.r.Add(CheckSignerKey, subject, fmt.Errorf("no transaction of the bundle registered party %s before the act", act.Party))
		return nil
	}
	var party schema.Party
	if err := json.Unmarshal(raw, &party); err != nil {
		c.r.Add(CheckSignerKey, subject, fmt.Errorf("party %s as written: %w", act.Party, err))
		return nil
	}
	at := t.Timestamp.Unix()
	i := slices.IndexFunc(party.Keys, func(k schema.Key) bool { return k.Address == p.Recovered })
	if i < 0 {
		c.r.Add(CheckSignerKey, subject, fmt.Errorf("%s is not a key of party %s", p.Recovered, act.Party))
		return nil
	}
	k := party.Keys[i]
	if !k.ValidAt(at) {
		c.r.Add(CheckSignerKey, subject, fmt.Errorf("key %s of %s is valid from %d until %d, the act ran at %d", k.Address, act.Party, k.ValidFrom, k.ValidUntil, at))
		return nil
	}
	p.Key = &k
	added, ok := c.byID[k.AddedTx]
	if !ok {
		c.r.Add(CheckSignerKey, subject, fmt.Errorf("the transaction %s that registered key %s is not in the bundle's evidence", k.AddedTx, k.Address))
		return nil
	}
	if _, wrote := added.write(schema.PartyKey(act.Party)); !wrote {
		c.r.Add(CheckSignerKey, subject, fmt.Errorf("transaction %s did not write party %s", k.AddedTx, act.Party))
		return nil
	}
	c.r.Pass(CheckSignerKey, subject, fmt.Sprintf("%s, registered for %s in tx %s (block %d), valid at %s",
		k.Address, act.Party, k.AddedTx, added.Block, t.Timestamp.UTC().Format(time.RFC3339)))
	return m
}

// acceptance checks the Anbieter's acceptance of the offering version the
// agreement names: the act is the value its transaction wrote in the
// offering's act log, and accepts exactly that version and hash.
func (c *checker) acceptance(a *schema.Agreement, st *SignedTerms) {
	what := fmt.Sprintf("offering %s acceptance", a.Offering)
	logged := c.b.Records.OfferingAcceptance
	if logged == nil {
		c.r.Add(CheckRecordWritten, what, errors.New("the bundle presents no acceptance of the offering version"))
		return
	}
	key := schema.ActKey(schema.RecordOffering, a.Offering, logged.Seq)
	var act schema.SignedAct
	if _, ok := c.presented(fmt.Sprintf("%s (act %d)", what, logged.Seq), key, logged.Act, &act); !ok {
		return
	}
	if act.Type != schema.TypeAcceptOffering {
		c.r.Add(CheckSignedMessage, what, fmt.Errorf("act %d of offering %s is a %s, not an acceptance", logged.Seq, a.Offering, act.Type))
		return
	}
	m, ok := c.act("offering", &act, key, schema.OfferingRef(a.Offering).Key(), []string{a.Anbieter}, st).(*schema.AcceptOfferingMessage)
	if !ok { // c.act reported why
		return
	}
	var err error
	if m.Offering != a.Offering || m.Version != a.OfferingVersion || m.OfferingHash != a.OfferingHash {
		err = fmt.Errorf("accepted offering %s version %d (%s); the agreement names version %d (%s)",
			m.Offering, m.Version, m.OfferingHash, a.OfferingVersion, a.OfferingHash)
	}
	c.r.Add(CheckSignedMessage, fmt.Sprintf("%s by %s in tx %s", act.Type, act.Party, act.TxID), err)
}
