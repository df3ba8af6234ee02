package chaincode_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/stretchr/testify/require"
)

// scenario holds the parties and records of the standard workflow.
type scenario struct {
	*env
	supplier, anbieter, customer party
	offering                     chaincode.Offering
	priceModel                   chaincode.PriceModel
}

func bauantrag(e *env, version uint64) *chaincode.SubmitOfferingMessage {
	return &chaincode.SubmitOfferingMessage{OfferingContent: chaincode.OfferingContent{
		Offering: e.id("digitaler-bauantrag"), Version: chaincode.Uint(version), Supplier: e.id("land-mv"), Anbieter: e.id("govdigital"),
		Kind: chaincode.KindOZGService, Title: "Digitaler Bauantrag",
		Description: "Baugenehmigungsverfahren online (EfA, Federführung Mecklenburg-Vorpommern)",
		Themenfeld:  "Bauen & Wohnen", LeiKaKeys: []string{"99999999000000"}, OZGIDs: []string{},
		EfaFinanced: true, CostInfrastructure: 1_200_000, CostDevelopment: 3_400_000, CostPlatform: 150_000,
		CostOperation: 2_100_000, CostUsage: 0,
		DocumentHashes: []string{"0x" + "ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34"},
	}, Replay: e.replay()}
}

func samplePriceModel(e *env, version uint64, predecessor string) *chaincode.PublishPriceModelMessage {
	return &chaincode.PublishPriceModelMessage{PriceModelContent: chaincode.PriceModelContent{
		Offering: e.id("digitaler-bauantrag"), Version: chaincode.Uint(version), PredecessorHash: predecessor,
		ValidFrom: "2027-01-01", DistributionKey: chaincode.KeyCombination,
		WeightInhabitants: 5000, WeightKoenigsteiner: 5000,
		AnnualFee: 4_250_000, ProRataFee: 354_167, ConnectionFee: 500_000,
		ScopeOfUse: "SAMPLE FIGURES — no official EfA prices are published",
	}, Replay: e.replay()}
}

// newScenario registers the parties, submits and accepts the offering and
// publishes a price model.
func newScenario(t testing.TB, e *env) *scenario {
	s := &scenario{env: e}
	s.anbieter = e.register(akdb, e.govdigital())
	s.supplier = e.register(dataport, e.landMV())
	s.customer = e.register(regioIT, e.koeln())

	out := e.mustAct("SubmitOffering", bauantrag(e, 1), s.supplier.key)
	o := decode[chaincode.Offering](t, out)
	require.Equal(t, chaincode.OfferingSubmitted, o.Status)
	out = e.mustAct("AcceptOffering", &chaincode.AcceptOfferingMessage{
		Offering: o.Offering, Version: o.Version, OfferingHash: o.Hash, Replay: e.replay()}, s.anbieter.key)
	s.offering = decode[chaincode.Offering](t, out)
	require.Equal(t, chaincode.OfferingPublished, s.offering.Status)

	out = e.mustAct("PublishPriceModel", samplePriceModel(e, 1, chaincode.ZeroHash), s.supplier.key)
	s.priceModel = decode[chaincode.PriceModel](t, out)
	return s
}

func (s *scenario) interest(id, parent string) chaincode.Agreement {
	s.t.Helper()
	id = s.withSuffix(id)
	if parent != "" {
		parent = s.withSuffix(parent)
	}
	out := s.mustAct("ExpressInterest", &chaincode.ExpressInterestMessage{
		Agreement: id, Offering: s.offering.Offering, Customer: s.customer.id, ParentAgreement: parent, Replay: s.replay()}, s.customer.key)
	return decode[chaincode.Agreement](s.t, out)
}

func (s *scenario) fees(id string, version uint64, annual uint64) chaincode.Agreement {
	s.t.Helper()
	id = s.withSuffix(id)
	out := s.mustAct("EnterFees", &chaincode.EnterFeesMessage{
		Agreement: id, FeeVersion: chaincode.Uint(version), PriceModelHash: s.priceModel.Hash,
		AnnualFee: chaincode.Uint(annual), ProRataFee: 100_000, ConnectionFee: 50_000,
		ScopeOfUse: "Bauaufsicht der Stadt Köln", Replay: s.replay()}, s.supplier.key)
	return decode[chaincode.Agreement](s.t, out)
}

func (s *scenario) approve(a chaincode.Agreement, p party) chaincode.Agreement {
	s.t.Helper()
	out := s.mustAct("ApproveFees", &chaincode.ApproveFeesMessage{
		Agreement: a.ID, Party: p.id, FeeVersion: chaincode.Uint(a.FeeVersion), TermsHash: a.TermsHash, Replay: s.replay()}, p.key)
	return decode[chaincode.Agreement](s.t, out)
}

func (s *scenario) order(a chaincode.Agreement) chaincode.Agreement {
	s.t.Helper()
	out := s.mustAct("PlaceOrder", &chaincode.PlaceOrderMessage{Agreement: a.ID, TermsHash: a.TermsHash, Replay: s.replay()}, s.customer.key)
	return decode[chaincode.Agreement](s.t, out)
}

// withSuffix makes an agreement id unique unless it is already.
func (s *scenario) withSuffix(id string) string {
	if len(id) > len(s.suffix) && id[len(id)-len(s.suffix):] == s.suffix {
		return id
	}
	return s.id(id)
}

// conclude runs an agreement from interest to the order.
func (s *scenario) conclude(id, parent string) chaincode.Agreement {
	a := s.interest(id, parent)
	a = s.fees(a.ID, 1, 1_000_000)
	s.approve(a, s.customer)
	s.approve(a, s.anbieter)
	return s.order(a)
}

func TestWorkflowEndToEnd(t *testing.T) { onEachLedger(t, testWorkflowEndToEnd) }

func testWorkflowEndToEnd(t *testing.T, e *env) {
	s := newScenario(t, e)

	a := s.interest("koeln-bauantrag", "")
	require.Equal(t, chaincode.AgreementInterest, a.Status)
	require.Equal(t, s.offering.PublishedHash, a.OfferingHash)
	require.Equal(t, []string{akdb, regioIT}, a.EndorsingMembers)
	policy, err := s.evaluate("GetEndorsementPolicy", a.ID)
	require.NoError(t, err)
	require.Equal(t, []string{akdb, regioIT}, decode[[]string](t, policy), "the agreement key's state-based endorsement policy")

	a = s.fees(a.ID, 1, 1_000_000)
	require.Equal(t, chaincode.AgreementFeesEntered, a.Status)
	require.Regexp(t, `^0x[0-9a-f]{64}$`, a.TermsHash)
	a = s.approve(a, s.customer)
	require.Equal(t, chaincode.AgreementFeesEntered, a.Status, "one approval is not enough")
	a = s.approve(a, s.anbieter)
	require.Equal(t, chaincode.AgreementApproved, a.Status)
	a = s.order(a)
	require.Equal(t, chaincode.AgreementConcluded, a.Status)
	require.Equal(t, uint64(1), a.EffectiveVersion)
	firstTerms := a.TermsHash

	// Fee change in September: a new fee version, approved again by both.
	a = s.fees(a.ID, 2, 1_100_000)
	require.Equal(t, chaincode.AgreementFeeChangePending, a.Status)
	require.Equal(t, uint64(1), a.EffectiveVersion, "the old fees stay in force until both approve")
	a = s.approve(a, s.anbieter)
	a = s.approve(a, s.customer)
	require.Equal(t, chaincode.AgreementConcluded, a.Status)
	require.Equal(t, uint64(2), a.EffectiveVersion)
	require.NotEqual(t, firstTerms, a.EffectiveTerms)

	fv1 := decode[chaincode.FeeVersion](t, must(s.evaluate("GetFeeVersion", a.ID, "1")))
	require.Equal(t, firstTerms, fv1.TermsHash, "fee version 1 is kept as entered")
	require.Equal(t, uint64(1_000_000), fv1.Fees.AnnualFee)

	// A sub-agreement under the concluded one (a Land re-lends to its Kommunen).
	sub := s.conclude("koeln-bauantrag-bezirk", a.ID)
	require.Equal(t, a.ID, sub.ParentAgreement)

	// Termination with an end date.
	out := s.mustAct("Terminate", &chaincode.TerminateMessage{Agreement: a.ID, Party: s.customer.id,
		EndDate: time.Now().AddDate(0, 6, 0).Format(time.DateOnly), Reason: "Wechsel des Verfahrens", Replay: s.replay()}, s.customer.key)
	a = decode[chaincode.Agreement](t, out)
	require.Equal(t, chaincode.AgreementTerminated, a.Status)

	// Every act is recorded with its signature and signer.
	require.Len(t, a.Acts, 9)
	for _, act := range a.Acts {
		require.Regexp(t, `^0x[0-9a-f]{130}$`, act.Signature)
		require.NotEmpty(t, act.Party)
		require.NotEmpty(t, act.TxID)
	}
	require.Equal(t, chaincode.TypeExpressInterest, a.Acts[0].Type)
	require.Equal(t, s.customer.address(), a.Acts[0].Signer)

	// History of the agreement: every change, newest first.
	hist := decode[[]chaincode.HistoryEntry](t, must(s.evaluate("History", "agreement", a.ID)))
	require.Len(t, hist, 9)
	require.Equal(t, chaincode.AgreementTerminated, decode[chaincode.Agreement](t, string(hist[0].Value)).Status)
	require.Equal(t, chaincode.AgreementInterest, decode[chaincode.Agreement](t, string(hist[8].Value)).Status)

	e.verify()
}

func TestEveryStateChangeEmitsAnEvent(t *testing.T) {
	onEachLedger(t, testEveryStateChangeEmitsAnEvent)
}

func testEveryStateChangeEmitsAnEvent(t *testing.T, e *env) {
	start := e.height()
	s := newScenario(t, e)
	a := s.conclude("a1", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var acts []string
	var last chaincode.Event
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
	require.Equal(t, a.ID, last.ID)
	require.Equal(t, chaincode.AgreementConcluded, last.Status)
	require.Regexp(t, `^0x[0-9a-f]{64}$`, last.RecordHash)
}

func TestCheckpointedEventsResumeExactlyOnce(t *testing.T) {
	onEachLedger(t, testCheckpointedEventsResumeExactlyOnce)
}

// A listener that saves its position after each event and restarts — with
// a new connection — sees every event exactly once.
func testCheckpointedEventsResumeExactlyOnce(t *testing.T, e *env) {
	start := e.height()
	s := newScenario(t, e) // 9 events
	a := s.interest("checkpointed", "")
	s.fees(a.ID, 1, 1) // 11 events in all
	cp, err := client.NewFileCheckpointer(filepath.Join(t.TempDir(), "checkpoint.json"))
	require.NoError(t, err)
	require.NoError(t, cp.Save(client.Position{BlockNumber: start}))

	var seen []string
	listen := func(c *client.Client, n int) {
		from, err := cp.Load()
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
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
	s.approve(s.fees(a.ID, 2, 2), s.customer)
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
	s := newScenario(t, e)
	// A new version of the offering: submitted, then accepted; version 1 stays readable.
	v2 := bauantrag(s.env, 2)
	v2.Title = "Digitaler Bauantrag 2.0"
	o := decode[chaincode.Offering](t, s.mustAct("SubmitOffering", v2, s.supplier.key))
	require.Equal(t, chaincode.OfferingSubmitted, o.Status)
	require.Equal(t, uint64(1), o.PublishedVersion, "version 1 stays on the marketplace until 2 is accepted")
	o = decode[chaincode.Offering](t, s.mustAct("AcceptOffering", &chaincode.AcceptOfferingMessage{
		Offering: o.Offering, Version: 2, OfferingHash: o.Hash, Replay: s.replay()}, s.anbieter.key))
	require.Equal(t, uint64(2), o.PublishedVersion)
	old := decode[chaincode.OfferingVersion](t, must(s.evaluate("GetOfferingVersion", o.Offering, "1")))
	require.Equal(t, "Digitaler Bauantrag", old.Title)
	require.Equal(t, s.offering.PublishedHash, old.Hash)

	// Price-model versions chain by hash.
	pm2 := decode[chaincode.PriceModel](t, s.mustAct("PublishPriceModel", samplePriceModel(s.env, 2, s.priceModel.Hash), s.supplier.key))
	require.Equal(t, s.priceModel.Hash, pm2.PredecessorHash)
	page := decode[chaincode.Page[chaincode.PriceModel]](t, must(s.evaluate("ListPriceModels", o.Offering, "10", "")))
	require.Len(t, page.Items, 2)
	require.Equal(t, []string{s.priceModel.Hash, pm2.Hash}, []string{page.Items[0].Hash, page.Items[1].Hash})

	// Withdrawal by the supplier.
	o = decode[chaincode.Offering](t, s.mustAct("WithdrawOffering", &chaincode.WithdrawOfferingMessage{
		Offering: o.Offering, Party: s.supplier.id, Reason: "ersetzt", Replay: s.replay()}, s.supplier.key))
	require.Equal(t, chaincode.OfferingWithdrawn, o.Status)
	_, err := s.act("ExpressInterest", &chaincode.ExpressInterestMessage{Agreement: e.id("late"), Offering: o.Offering,
		Customer: s.customer.id, Replay: s.replay()}, s.customer.key)
	requireRefused(t, err, chaincode.CodeConflict, "message.offering")
}

func TestListings(t *testing.T) { onEachLedger(t, testListings) }

// ours keeps the records of this environment: on a shared network other
// tests' records are listed too.
func ours[T any](e *env, items []T, id func(T) string) []string {
	var out []string
	for _, it := range items {
		if i := id(it); strings.HasSuffix(i, e.suffix) {
			out = append(out, strings.TrimSuffix(i, e.suffix))
		}
	}
	return out
}

func testListings(t *testing.T, e *env) {
	s := newScenario(t, e)
	// A second offering of another kind and Themenfeld.
	m := bauantrag(s.env, 1)
	m.Offering, m.Title, m.Kind, m.Themenfeld, m.LeiKaKeys = e.id("e-akte"), "E-Akte als Dienst", chaincode.KindCloudService, "", []string{}
	s.mustAct("SubmitOffering", m, s.supplier.key)
	for i := range 5 {
		s.conclude("a"+string(rune('0'+i)), "")
	}
	s.interest("pending", "")

	type pageT = chaincode.Page[chaincode.Offering]
	offeringID := func(o chaincode.Offering) string { return o.Offering }
	byTheme := decode[pageT](t, must(s.evaluate("ListOfferings", "themenfeld", "Bauen & Wohnen", "1000", "")))
	require.Equal(t, []string{"digitaler-bauantrag"}, ours(e, byTheme.Items, offeringID))
	bySupplier := decode[pageT](t, must(s.evaluate("ListOfferings", "supplier", e.id("land-mv"), "10", "")))
	require.Len(t, bySupplier.Items, 2)
	byStatus := decode[pageT](t, must(s.evaluate("ListOfferings", "status", chaincode.OfferingSubmitted, "1000", "")))
	require.Equal(t, []string{"e-akte"}, ours(e, byStatus.Items, offeringID))
	byLeika := decode[pageT](t, must(s.evaluate("ListOfferings", "leika", "99999999000000", "1000", "")))
	require.Equal(t, []string{"digitaler-bauantrag"}, ours(e, byLeika.Items, offeringID))
	all := decode[pageT](t, must(s.evaluate("ListOfferings", "", "", "1000", "")))
	require.ElementsMatch(t, []string{"digitaler-bauantrag", "e-akte"}, ours(e, all.Items, offeringID))

	type agPage = chaincode.Page[chaincode.Agreement]
	agreementID := func(a chaincode.Agreement) string { return a.ID }
	var seen []string
	bookmark := ""
	for {
		p := decode[agPage](t, must(s.evaluate("ListAgreements", "customer", s.customer.id, "2", bookmark)))
		seen = append(seen, ours(e, p.Items, agreementID)...)
		if p.Bookmark == "" {
			break
		}
		bookmark = p.Bookmark
	}
	require.Equal(t, []string{"a0", "a1", "a2", "a3", "a4", "pending"}, seen)
	concluded := decode[agPage](t, must(s.evaluate("ListAgreements", "status", chaincode.AgreementConcluded, "1000", "")))
	require.Len(t, ours(e, concluded.Items, agreementID), 5)
	interest := decode[agPage](t, must(s.evaluate("ListAgreements", "status", chaincode.AgreementInterest, "1000", "")))
	require.Equal(t, []string{"pending"}, ours(e, interest.Items, agreementID), "status indexes follow every transition")
	byAnbieter := decode[agPage](t, must(s.evaluate("ListAgreements", "anbieter", s.anbieter.id, "100", "")))
	require.Len(t, byAnbieter.Items, 6)

	_, err := s.evaluate("ListAgreements", "colour", "red", "10", "")
	requireRefused(t, err, chaincode.CodeInvalid, "by")
	_, err = s.evaluate("ListAgreements", "", "", "0", "")
	requireRefused(t, err, chaincode.CodeInvalid, "pageSize")
}
