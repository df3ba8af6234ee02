package chaincode_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

func TestWorkflowEndToEnd(t *testing.T) { onEachLedger(t, testWorkflowEndToEnd) }

func testWorkflowEndToEnd(t *testing.T, e *env) {
	ctx := t.Context()
	s := e.marketplace()

	d := s.Deal("koeln-bauantrag", "")
	require.NoError(t, d.Interest(ctx))
	require.Equal(t, schema.AgreementInterest, d.Agreement.Status)
	require.Equal(t, s.Offering.PublishedHash, d.Agreement.OfferingHash)
	require.Equal(t, []string{scenario.AKDB, scenario.RegioIT}, d.Agreement.EndorsingMembers)
	policy, err := e.client.EndorsementPolicy(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, []string{scenario.AKDB, scenario.RegioIT}, policy, "the agreement key's state-based endorsement policy")

	require.NoError(t, d.EnterFees(ctx, fees(1_000_000)))
	require.Equal(t, schema.AgreementFeesEntered, d.Agreement.Status)
	require.Regexp(t, `^0x[0-9a-f]{64}$`, d.Agreement.TermsHash)
	require.NoError(t, d.Approve(ctx, s.Customer))
	require.Equal(t, schema.AgreementFeesEntered, d.Agreement.Status, "one approval is not enough")
	require.NoError(t, d.Approve(ctx, s.Anbieter))
	require.Equal(t, schema.AgreementApproved, d.Agreement.Status)
	require.NoError(t, d.Order(ctx))
	require.Equal(t, schema.AgreementConcluded, d.Agreement.Status)
	require.Equal(t, schema.Uint(1), d.Agreement.EffectiveVersion)
	firstTerms := d.Agreement.TermsHash

	// Fee change in September: a new fee version, approved again by both.
	require.NoError(t, d.EnterFees(ctx, fees(1_100_000)))
	require.Equal(t, schema.AgreementFeeChangePending, d.Agreement.Status)
	require.Equal(t, schema.Uint(1), d.Agreement.EffectiveVersion, "the old fees stay in force until both approve")
	require.NoError(t, d.Approve(ctx, s.Anbieter))
	require.NoError(t, d.Approve(ctx, s.Customer))
	require.Equal(t, schema.AgreementConcluded, d.Agreement.Status)
	require.Equal(t, schema.Uint(2), d.Agreement.EffectiveVersion)
	require.NotEqual(t, firstTerms, d.Agreement.EffectiveTerms)

	fv1, err := e.client.FeeVersion(ctx, d.ID, 1)
	require.NoError(t, err)
	require.Equal(t, firstTerms, fv1.TermsHash, "fee version 1 is kept as entered")
	require.Equal(t, schema.Uint(1_000_000), fv1.Fees.AnnualFee)

	// A sub-agreement under the concluded one (a Land re-lends to its Kommunen).
	sub := s.Deal("koeln-bauantrag-bezirk", "koeln-bauantrag")
	require.NoError(t, sub.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	require.Equal(t, d.ID, sub.Agreement.ParentAgreement)

	// Termination with an end date.
	require.NoError(t, d.Terminate(ctx, s.Customer, time.Now().AddDate(0, 6, 0).Format(time.DateOnly), "Wechsel des Verfahrens"))
	require.Equal(t, schema.AgreementTerminated, d.Agreement.Status)
	require.Equal(t, schema.TypeTerminate, d.Agreement.Act.Type, "the answer carries the act")
	require.Empty(t, d.Agreement.Acts, "an act's answer does not grow with the agreement's history")

	// Every act is recorded with its signature and signer, each under its
	// own key; a read joins them.
	a, err := e.client.Agreement(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, schema.Uint(9), a.ActCount)
	require.Len(t, a.Acts, 9)
	for _, act := range a.Acts {
		require.Regexp(t, `^0x[0-9a-f]{130}$`, act.Signature)
		require.NotEmpty(t, act.Party)
		require.NotEmpty(t, act.TxID)
	}
	require.Equal(t, schema.TypeExpressInterest, a.Acts[0].Type)
	require.Equal(t, s.Customer.Address(), a.Acts[0].Signer)

	// History of the agreement: every change, newest first.
	hist, err := e.client.History(ctx, schema.AgreementRef(a.ID))
	require.NoError(t, err)
	require.Len(t, hist, 9)
	require.Equal(t, schema.AgreementTerminated, decode[schema.Agreement](t, hist[0].Value).Status)
	require.Equal(t, schema.AgreementInterest, decode[schema.Agreement](t, hist[8].Value).Status)

	e.verify()
}

func TestEveryStateChangeEmitsAnEvent(t *testing.T) {
	onEachLedger(t, testEveryStateChangeEmitsAnEvent)
}

func testEveryStateChangeEmitsAnEvent(t *testing.T, e *env) {
	start := e.height()
	s := e.marketplace()
	d := s.Deal("a1", "")
	require.NoError(t, d.Until(t.Context(), schema.AgreementConcluded, scenario.DefaultFees, ""))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var acts []string
	var last schema.Event
	for ev, err := range e.client.ChaincodeEvents(ctx, client.Position{BlockNumber: start}) {
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(ev.Payload, &last))
		require.Equal(t, ev.Name, last.Act)
		require.Equal(t, ev.TxID, last.TxID)
		acts = append(acts, ev.Name)
		if last.Act == "OrderPlaced" {
			break
		}
	}
	require.Equal(t, []string{
		"PartyRegistered", "KeyAdded", "PartyRegistered", "KeyAdded", "PartyRegistered", "KeyAdded",
		"OfferingSubmitted", "OfferingAccepted", "PriceModelPublished",
		"InterestExpressed", "FeesEntered", "FeesApproved", "FeesApproved", "OrderPlaced",
	}, acts)
	require.Equal(t, "agreement", last.Record)
	require.Equal(t, d.ID, last.ID)
	require.Equal(t, schema.AgreementConcluded, last.Status)
	require.Regexp(t, `^0x[0-9a-f]{64}$`, last.RecordHash)
}

func TestCheckpointedEventsResumeExactlyOnce(t *testing.T) {
	onEachLedger(t, testCheckpointedEventsResumeExactlyOnce)
}

// A listener that saves its position after each event and restarts — with
// a new connection — sees every event exactly once.
func testCheckpointedEventsResumeExactlyOnce(t *testing.T, e *env) {
	start := e.height()
	s := e.marketplace() // 9 events
	d := s.Deal("checkpointed", "")
	require.NoError(t, d.Interest(t.Context()))
	require.NoError(t, d.EnterFees(t.Context(), fees(1))) // 11 events in all
	cp, err := client.NewFileCheckpointer(filepath.Join(t.TempDir(), "checkpoint.json"))
	require.NoError(t, err)
	require.NoError(t, cp.Save(client.Position{BlockNumber: start}))

	var seen []string
	listen := func(c *client.Client, n int) {
		from, err := cp.Load()
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		for ev, err := range c.ChaincodeEvents(ctx, from) {
			require.NoError(t, err)
			seen = append(seen, ev.TxID)
			require.NoError(t, cp.Save(ev.After()))
			if n--; n == 0 {
				return
			}
		}
	}
	listen(e.client, 4)
	listen(e.reconnect(), 5) // a restarted listener
	require.NoError(t, d.EnterFees(t.Context(), fees(2)))
	require.NoError(t, d.Approve(t.Context(), s.Customer))
	listen(e.reconnect(), 4) // replays the last 2, then 2 live
	require.Len(t, seen, 13)
	unique := map[string]bool{}
	for _, id := range seen {
		require.False(t, unique[id], "event of %s delivered twice", id)
		unique[id] = true
	}
}

func TestOfferingVersionsAndPriceModels(t *testing.T) {
	onEachLedger(t, testOfferingVersionsAndPriceModels)
}

func testOfferingVersionsAndPriceModels(t *testing.T, e *env) {
	ctx := t.Context()
	s := e.marketplace()
	// A new version of the offering: submitted, then accepted; version 1 stays readable.
	v2 := e.b.Bauantrag(2)
	v2.Title = "Digitaler Bauantrag 2.0"
	o := decode[schema.Offering](t, e.mustAct(v2, s.Supplier.Key))
	require.Equal(t, schema.OfferingSubmitted, o.Status)
	require.Equal(t, schema.Uint(1), o.PublishedVersion, "version 1 stays on the marketplace until 2 is accepted")
	o = decode[schema.Offering](t, e.mustAct(&schema.AcceptOfferingMessage{
		Offering: o.Offering, Version: 2, OfferingHash: o.Hash, Replay: e.b.Replay()}, s.Anbieter.Key))
	require.Equal(t, schema.Uint(2), o.PublishedVersion)
	old, err := e.client.OfferingVersion(ctx, o.Offering, 1)
	require.NoError(t, err)
	require.Equal(t, "Digitaler Bauantrag", old.Title)
	require.Equal(t, s.Offering.PublishedHash, old.Hash)

	// Price-model versions chain by hash.
	pm2 := decode[schema.PriceModel](t, e.mustAct(e.b.SamplePriceModel(2, s.PriceModel.Hash), s.Supplier.Key))
	require.Equal(t, s.PriceModel.Hash, pm2.PredecessorHash)
	page, err := e.client.PriceModels(ctx, o.Offering, client.PageRequest{Size: 10})
	require.NoError(t, err)
	models := items[schema.PriceModel](t, page)
	require.Len(t, models, 2)
	require.Equal(t, []string{s.PriceModel.Hash, pm2.Hash}, []string{models[0].Hash, models[1].Hash})

	// Withdrawal by the supplier.
	o = decode[schema.Offering](t, e.mustAct(&schema.WithdrawOfferingMessage{
		Offering: o.Offering, Party: s.Supplier.ID, Reason: "ersetzt", Replay: e.b.Replay()}, s.Supplier.Key))
	require.Equal(t, schema.OfferingWithdrawn, o.Status)
	_, err = e.act(&schema.ExpressInterestMessage{Agreement: e.b.ID("late"), Offering: o.Offering,
		Customer: s.Customer.ID, Replay: e.b.Replay()}, s.Customer.Key)
	requireRefused(t, err, schema.CodeConflict, "message.offering")
}

func TestListings(t *testing.T) { onEachLedger(t, testListings) }

// items decodes the records of a page of a listing.
func items[T any](t testing.TB, p *schema.Page[json.RawMessage]) []T {
	t.Helper()
	out := make([]T, len(p.Items))
	for i, raw := range p.Items {
		out[i] = decode[T](t, raw)
	}
	return out
}

// offerings lists offerings, one page.
func (e *env) offerings(by, value string, size int) []schema.Offering {
	e.t.Helper()
	p, err := e.client.Offerings(e.t.Context(), client.Filter{By: by, Value: value}, client.PageRequest{Size: size})
	require.NoError(e.t, err)
	return items[schema.Offering](e.t, p)
}

// agreements lists a page of agreements and the bookmark of the next.
func (e *env) agreements(by, value string, page client.PageRequest) ([]schema.Agreement, string) {
	e.t.Helper()
	p, err := e.client.Agreements(e.t.Context(), client.Filter{By: by, Value: value}, page)
	require.NoError(e.t, err)
	return items[schema.Agreement](e.t, p), p.Bookmark
}

// ours keeps the records of this environment: on a shared network other
// tests' records are listed too.
func ours[T any](e *env, items []T, id func(T) string) []string {
	var out []string
	for _, it := range items {
		if i := id(it); strings.HasSuffix(i, e.b.Suffix()) {
			out = append(out, strings.TrimSuffix(i, e.b.Suffix()))
		}
	}
	return out
}

func testListings(t *testing.T, e *env) {
	ctx := t.Context()
	s := e.marketplace()
	// A second offering of another kind and Themenfeld.
	m := e.b.Bauantrag(1)
	m.Offering, m.Title, m.Kind, m.Themenfeld, m.LeiKaKeys = e.b.ID("e-akte"), "E-Akte als Dienst", schema.KindCloudService, "", []string{}
	e.mustAct(m, s.Supplier.Key)
	for i := range 5 {
		require.NoError(t, s.Deal("a"+string(rune('0'+i)), "").Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	}
	require.NoError(t, s.Deal("pending", "").Interest(ctx))

	offeringID := func(o schema.Offering) string { return o.Offering }
	byTheme := e.offerings("themenfeld", "Bauen & Wohnen", 1000)
	require.Equal(t, []string{"digitaler-bauantrag"}, ours(e, byTheme, offeringID))
	bySupplier := e.offerings("supplier", e.b.ID("land-mv"), 10)
	require.Len(t, bySupplier, 2)
	byStatus := e.offerings("status", schema.OfferingSubmitted, 1000)
	require.Equal(t, []string{"e-akte"}, ours(e, byStatus, offeringID))
	byLeika := e.offerings("leika", "99999999000000", 1000)
	require.Equal(t, []string{"digitaler-bauantrag"}, ours(e, byLeika, offeringID))
	byKind := e.offerings("kind", schema.KindCloudService, 1000)
	require.Equal(t, []string{"e-akte"}, ours(e, byKind, offeringID))
	all := e.offerings("", "", 1000)
	require.ElementsMatch(t, []string{"digitaler-bauantrag", "e-akte"}, ours(e, all, offeringID))

	agreementID := func(a schema.Agreement) string { return a.ID }
	var seen []string
	bookmark := ""
	for {
		page, next := e.agreements("customer", s.Customer.ID, client.PageRequest{Size: 2, Bookmark: bookmark})
		seen = append(seen, ours(e, page, agreementID)...)
		if next == "" {
			break
		}
		bookmark = next
	}
	require.Equal(t, []string{"a0", "a1", "a2", "a3", "a4", "pending"}, seen)
	concluded, _ := e.agreements("status", schema.AgreementConcluded, client.PageRequest{Size: 1000})
	require.Len(t, ours(e, concluded, agreementID), 5)
	interest, _ := e.agreements("status", schema.AgreementInterest, client.PageRequest{Size: 1000})
	require.Equal(t, []string{"pending"}, ours(e, interest, agreementID), "status indexes follow every transition")
	byAnbieter, _ := e.agreements("anbieter", s.Anbieter.ID, client.PageRequest{Size: 100})
	require.Len(t, byAnbieter, 6)

	_, err := e.client.Agreements(ctx, client.Filter{By: "colour", Value: "red"}, client.PageRequest{Size: 10})
	requireRefused(t, err, schema.CodeInvalid, "by")
	// A page size of 0 on purpose: the typed client asks for the default instead.
	_, err = e.client.Evaluate(ctx, schema.FnListAgreements, "", "", "0", "")
	requireRefused(t, err, schema.CodeInvalid, "pageSize")
}

// Each signed act lies under a key of its own: ListActs pages through a
// record's acts in order, GetAct reads one, reads and listings join them
// back into the record, and the record itself stores only their count.
func TestActLog(t *testing.T) { onEachLedger(t, testActLog) }

func testActLog(t *testing.T, e *env) {
	ctx := t.Context()
	s := e.marketplace()
	d := s.Deal("logged", "")
	require.NoError(t, d.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))
	ref := schema.AgreementRef(d.Agreement.ID)
	require.Equal(t, schema.Uint(5), d.Agreement.ActCount)

	var paged []json.RawMessage
	p := client.PageRequest{Size: 2}
	for {
		page, err := e.client.ActsPage(ctx, ref, p)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Items), 2)
		paged = append(paged, page.Items...)
		if page.Bookmark == "" {
			break
		}
		p.Bookmark = page.Bookmark
	}
	types := make([]string, len(paged))
	for i, raw := range paged {
		types[i] = decode[schema.SignedAct](t, raw).Type
		one, err := e.client.LoggedAct(ctx, ref, schema.Uint(i+1))
		require.NoError(t, err)
		require.JSONEq(t, string(raw), string(one), "act %d", i+1)
	}
	require.Equal(t, []string{schema.TypeExpressInterest, schema.TypeEnterFees, schema.TypeApproveFees, schema.TypeApproveFees, schema.TypePlaceOrder}, types)

	raw, err := e.client.Record(ctx, ref)
	require.NoError(t, err)
	read := decode[schema.Agreement](t, raw)
	require.Len(t, read.Acts, 5, "a read joins the acts")
	require.Equal(t, d.Agreement.Act.TxID, read.Acts[4].TxID, "the answer to the last act carried it as act")
	listed, _ := e.agreements("customer", s.Customer.ID, client.PageRequest{Size: 100})
	i := slices.IndexFunc(listed, func(a schema.Agreement) bool { return a.ID == d.Agreement.ID })
	require.GreaterOrEqual(t, i, 0)
	require.Len(t, listed[i].Acts, 5, "a listing joins the acts")
	history, err := e.client.History(ctx, ref)
	require.NoError(t, err)
	stored := decode[map[string]json.RawMessage](t, history[0].Value)
	require.NotContains(t, stored, "acts", "the record stores no acts")
	require.NotContains(t, stored, "act")
	require.JSONEq(t, `"5"`, string(stored["actCount"]))

	for _, c := range []struct {
		name  string
		call  func() error
		code  schema.Code
		field string
	}{
		{"acts of no such agreement", func() error { _, err := e.client.Acts(ctx, schema.AgreementRef(e.b.ID("nowhere"))); return err }, schema.CodeNotFound, "id"},
		{"acts of a version", func() error { _, err := e.client.Acts(ctx, schema.FeeVersionRef(d.ID, 1)); return err }, schema.CodeInvalid, "record"},
		{"an id that makes no key", func() error { _, err := e.client.Acts(ctx, schema.AgreementRef("bad\x00id")); return err }, schema.CodeInvalid, "id"},
		{"act 0", func() error { _, err := e.client.LoggedAct(ctx, ref, 0); return err }, schema.CodeInvalid, "seq"},
		{"an act beyond the last", func() error { _, err := e.client.LoggedAct(ctx, ref, 6); return err }, schema.CodeNotFound, "seq"},
		{"a bookmark of another record", func() error {
			_, err := e.client.ActsPage(ctx, schema.PartyRef(s.Customer.ID), client.PageRequest{Size: 1, Bookmark: schema.ActKey(schema.RecordAgreement, d.ID, 2)})
			return err
		}, schema.CodeInvalid, "bookmark"},
	} {
		t.Run(c.name, func(t *testing.T) { requireRefused(t, c.call(), c.code, c.field) })
	}
}

// An act writes what it changed and no more: its record, the act under its
// own key, the signer's nonce, and only those index entries whose value
// changed (a status index entry moves when the status does).
func TestActWritesOnlyWhatChanged(t *testing.T) {
	e := newEmbeddedEnv(t, nil, false)
	ctx := t.Context()
	d := e.marketplace().Deal("writes", "")
	require.NoError(t, d.Interest(ctx))
	require.NoError(t, d.EnterFees(ctx, scenario.DefaultFees))
	indexWrites := func() (written, deleted []string) {
		tx, _, err := e.ledger.Transaction(d.Agreement.Act.TxID)
		require.NoError(t, err)
		keys := map[string]bool{}
		for _, w := range tx.RWSet.Writes {
			keys[w.Key] = true
			if strings.Contains(w.Key, string(schema.RecordAgreement)+"~") {
				if w.IsDelete {
					deleted = append(deleted, w.Key)
				} else {
					written = append(written, w.Key)
				}
			}
		}
		require.True(t, keys[schema.AgreementKey(d.ID)], "the record")
		require.True(t, keys[schema.ActKey(schema.RecordAgreement, d.ID, d.Agreement.ActCount)], "the act, under its own key")
		return written, deleted
	}

	require.NoError(t, d.Approve(ctx, d.Customer))
	require.Equal(t, schema.AgreementFeesEntered, d.Agreement.Status)
	written, deleted := indexWrites()
	require.Empty(t, written, "no index entry changed")
	require.Empty(t, deleted)

	require.NoError(t, d.Approve(ctx, d.Anbieter))
	require.Equal(t, schema.AgreementApproved, d.Agreement.Status)
	written, deleted = indexWrites()
	require.Len(t, written, 1, "the status index entry moves")
	require.Contains(t, written[0], schema.AgreementApproved)
	require.Len(t, deleted, 1)
	require.Contains(t, deleted[0], schema.AgreementFeesEntered)
}
