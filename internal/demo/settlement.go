package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/schema"
)

// The demo's money side, dated over last year and this year (Y−1, Y): the
// Aufenthaltskarten offering, EfA-financed and split over the re-using
// Länder by the Königsteiner Schlüssel, ordered by four customers in three
// Länder in February of last year; the reference figures; a mid-year fee
// change; the allocation of last year's pool and the September fee
// adjustment for this year; usage reports; last year's invoices with a
// corrective invoice after a fee change; a termination; and this year's
// invoices.

// clock is the demo's time: the seed sets it to the day of each step, and
// every reading moves it on a second, so that acts keep their order.
type clock struct {
	mu  sync.Mutex
	t   time.Time
	max time.Time // never later than the real time the seed started
}

func newClock() *clock {
	now := time.Now().UTC()
	return &clock{t: now, max: now}
}

// at sets the clock to a day (noon UTC), but never after the seed began.
func (c *clock) at(day string) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(fmt.Sprintf("demo: a malformed date %q", day)) // the demo's own constants
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t.Add(12 * time.Hour)
	if c.t.After(c.max) {
		c.t = c.max
	}
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// KoenigsteinerSample is the Königsteiner Schlüssel the demo records for
// its years: the 2016 table as published (shared/data), since the current
// tables could not be verified from the sources available. Land code →
// share in 10^-5 percent; the shares sum to 100.00000 percent.
var KoenigsteinerSample = map[string]schema.Uint{
	"01": 339074, "02": 255752, "03": 933138, "04": 95331, "05": 2114424, "06": 739885, "07": 483089, "08": 1296662,
	"09": 1553327, "10": 121111, "11": 508324, "12": 303655, "13": 201240, "14": 505577, "15": 279941, "16": 269470,
}

// KoenigsteinerSource says where the demo's Königsteiner figures come from.
const KoenigsteinerSource = "Königsteiner Schlüssel 2016 (KommunalWiki copy of the published table), used as a SAMPLE for this year: the current table could not be verified"

// demoInhabitants are the customers' inhabitants (shared/data/municipalities.csv).
var demoInhabitants = []struct {
	party string
	value schema.Uint
	asOf  string
}{
	{"stadt-koeln", 1_084_831, "2022-12-31"}, {"stadt-aachen", 249_013, "2020-11-30"},
	{"stadt-schwerin", 98_596, "2022-12-31"}, {"hamburg", 1_910_160, "2023-12-31"},
}

// settlementAgreements are the Aufenthaltskarten agreements.
var settlementAgreements = []string{"koeln-aufenthaltskarten", "aachen-aufenthaltskarten", "schwerin-aufenthaltskarten", "hamburg-aufenthaltskarten"}

// settlementCustomers are their customers.
var settlementCustomers = map[string]string{"koeln-aufenthaltskarten": "stadt-koeln", "aachen-aufenthaltskarten": "stadt-aachen",
	"schwerin-aufenthaltskarten": "stadt-schwerin", "hamburg-aufenthaltskarten": "hamburg"}

// partyDetails are what invoices need of the Anbieter and the customers
// (SAMPLE addresses and contacts).
func partyDetails() map[string]schema.PartyDetails {
	customer := func(street, postal, city, leitweg string) schema.PartyDetails {
		return schema.PartyDetails{Street: street, PostalCode: postal, City: city, Country: "DE",
			ElectronicAddress: leitweg, ElectronicAddressScheme: "0204"}
	}
	parties := map[string]schema.PartyDetails{
		demoParty: {Street: "Musterstraße 1 (SAMPLE)", PostalCode: "10117", City: "Berlin", Country: "DE",
			ContactName: "Rechnungsstelle (SAMPLE)", ContactPhone: "+49 30 1234567", ContactEmail: "rechnung@govdigital.example",
			ElectronicAddress: "rechnung@govdigital.example", ElectronicAddressScheme: "EM",
			TaxNumber: "30/123/45678", IBAN: "DE02120300000000202051", BIC: "BYLADEM1001"},
	}
	for _, p := range demoParties() {
		if p.reg.LeitwegID == "" || p.reg.Kind == schema.KindAnbieter {
			continue
		}
		parties[p.reg.ID] = customer("Rathausplatz 1 (SAMPLE)", sampleCity[p.reg.ID].postal, sampleCity[p.reg.ID].city, p.reg.LeitwegID)
	}
	return parties
}

var sampleCity = map[string]struct{ postal, city string }{
	"stadt-koeln": {"50667", "Köln"}, "stadt-aachen": {"52062", "Aachen"}, "stadt-schwerin": {"19053", "Schwerin"}, "hamburg": {"20095", "Hamburg"},
}

func (s *seeder) settlement() error {
	y := s.clock.max.Year()
	last, this := fmt.Sprint(y-1), fmt.Sprint(y)
	ctx, b := s.ctx, s.b
	for id, d := range partyDetails() {
		if err := b.SetPartyDetails(ctx, s.parties[id], d); err != nil {
			return err
		}
	}
	supplier, anbieter := s.parties["land-brandenburg"], s.parties[demoParty]

	// January of last year: the offering and its programmed price model.
	s.clock.at(last + "-01-20")
	o, err := b.Offering(ctx, supplier, anbieter, &schema.SubmitOfferingMessage{OfferingContent: schema.OfferingContent{
		Offering: "aufenthaltskarten", Version: 1, Supplier: supplier.ID, Anbieter: anbieter.ID, Kind: schema.KindOZGService,
		Title:       "Aufenthaltskarten und aufenthaltsrelevante Bescheinigungen",
		Description: "EfA-Bündel 'Aufenthalt' mit dem Aufenthaltstitel (OZG 10596). Federführung assumed. LeiKa key: sample, not verified.",
		Themenfeld:  "Ein- & Auswanderung", LeiKaKeys: []string{"99999999000005"}, OZGIDs: []string{"10596"}, EfaFinanced: true,
		CostInfrastructure: 1_800_000, CostDevelopment: 4_900_000, CostPlatform: 225_000, CostOperation: 2_600_000, CostUsage: 60_001,
		DocumentHashes: []string{}}, Replay: b.Replay()}, true)
	if err != nil {
		return err
	}
	pm, err := b.PriceModel(ctx, supplier, &schema.PublishPriceModelMessage{PriceModelContent: schema.PriceModelContent{
		Offering: o.Offering, Version: 1, PredecessorHash: schema.ZeroHash, ValidFrom: last + "-01-01",
		DistributionKey: schema.KeyKoenigsteiner, WeightKoenigsteiner: 10000,
		AnnualFee: 1_500_000, ProRataFee: 1_375_000, ConnectionFee: 100_000, ScopeOfUse: SampleNote,
		CostInfrastructure: 1_800_000, CostDevelopment: 4_900_000, CostPlatform: 225_000, CostOperation: 2_600_000, CostUsage: 60_001,
		EfaFinanced: true, VATCategory: schema.VATNotSubject, VATExemption: scenario.NotSubjectToVAT}, Replay: b.Replay()})
	if err != nil {
		return err
	}

	// February of last year: four customers in three Länder order it.
	s.clock.at(last + "-02-01")
	deals := map[string]*scenario.Deal{}
	for _, id := range settlementAgreements {
		customer := s.parties[settlementCustomers[id]]
		d := b.NewDeal(id, o.Offering, pm.Hash, "", customer, supplier, anbieter)
		if err := d.Until(ctx, schema.AgreementConcluded, schema.Fees{AnnualFee: 1_500_000, ProRataFee: 1_375_000, ConnectionFee: 100_000, ScopeOfUse: SampleNote}, ""); err != nil {
			return err
		}
		deals[id] = d
	}

	// March: the members record last year's reference figures.
	s.clock.at(last + "-03-02")
	table := schema.FigureBatch{Kind: schema.FigureKoenigsteiner, Year: schema.Uint(y - 1), ReferenceDate: last + "-01-01", Source: KoenigsteinerSource}
	for i := 1; i <= 16; i++ {
		code := fmt.Sprintf("%02d", i)
		table.Figures = append(table.Figures, schema.FigureEntry{Subject: code, Value: KoenigsteinerSample[code]})
	}
	if _, err := b.RecordFigures(ctx, scenario.Dataport, table); err != nil {
		return err
	}
	for _, f := range demoInhabitants {
		if _, err := b.RecordFigures(ctx, scenario.RegioIT, schema.FigureBatch{Kind: schema.FigureInhabitants, Year: schema.Uint(y - 1),
			ReferenceDate: f.asOf, Source: "statistical office, as in shared/data/municipalities.csv",
			Figures: []schema.FigureEntry{{Subject: f.party, Value: f.value}}}); err != nil {
			return err
		}
	}

	// June: a mid-year fee change for Köln.
	koeln := deals["koeln-aufenthaltskarten"]
	s.clock.at(last + "-06-01")
	if err := koeln.EnterFees(ctx, schema.Fees{AnnualFee: 1_400_000, ProRataFee: 1_200_000, ConnectionFee: 100_000, ScopeOfUse: SampleNote}); err != nil {
		return err
	}
	s.clock.at(last + "-06-15")
	if err := approveBoth(ctx, koeln); err != nil {
		return err
	}

	// September: the supplier reports each agreement's cases so far (the
	// customers see them), one report corrected.
	s.clock.at(last + "-09-01")
	for i, id := range settlementAgreements {
		if _, err := deals[id].ReportUsage(ctx, schema.Uint(y-1), schema.Uint(1200+310*i), 0); err != nil {
			return err
		}
	}
	if _, err := deals["aachen-aufenthaltskarten"].ReportUsage(ctx, schema.Uint(y-1), 1480, 1); err != nil {
		return err
	}

	// The supplier publishes the allocation of last year's pool
	// and adjusts this year's fees to the shares; October: approvals.
	s.clock.at(last + "-09-15")
	computed, err := s.reader.ComputeAllocation(ctx, o.Offering, schema.Uint(y-1), pm.Version)
	if err != nil {
		return err
	}
	published, err := b.PublishAllocation(ctx, supplier, computed, 1)
	if err != nil {
		return err
	}
	published.Inputs, published.Shares = computed.Inputs, computed.Shares
	if _, err := b.AdjustFees(ctx, supplier, published, schema.MaxAdjustChunk); err != nil {
		return err
	}
	s.clock.at(last + "-10-01")
	for _, id := range settlementAgreements {
		d := deals[id]
		a, err := s.reader.Agreement(ctx, d.ID)
		if err != nil {
			return err
		}
		d.Agreement = *a
		if err := approveBoth(ctx, d); err != nil {
			return err
		}
	}

	// December: last year's invoices; then a fee change for Hamburg that
	// alters last year, and its corrective invoice.
	s.clock.at(last + "-12-10")
	for i, id := range settlementAgreements {
		if _, err := deals[id].Invoice(ctx, schema.Uint(y-1), fmt.Sprintf("GD-%s-%04d", last, i+1)); err != nil {
			return err
		}
	}
	hamburg := deals["hamburg-aufenthaltskarten"]
	adjusted, err := s.reader.FeeVersion(ctx, hamburg.ID, hamburg.Agreement.FeeVersion)
	if err != nil {
		return err
	}
	s.clock.at(last + "-12-15")
	if err := hamburg.EnterFees(ctx, schema.Fees{AnnualFee: adjusted.Fees.AnnualFee, ProRataFee: 1_100_000, ScopeOfUse: SampleNote}); err != nil {
		return err
	}
	if err := approveBoth(ctx, hamburg); err != nil {
		return err
	}
	s.clock.at(last + "-12-28")
	if _, err := hamburg.Invoice(ctx, schema.Uint(y-1), fmt.Sprintf("GD-%s-%04d", last, len(settlementAgreements)+1)); err != nil {
		return err
	}

	// This year: Schwerin gives notice for 30 June; this year's invoices.
	s.clock.at(this + "-01-05")
	schwerin := deals["schwerin-aufenthaltskarten"]
	if err := schwerin.Terminate(ctx, schwerin.Customer, this+"-06-30", "Umstellung auf ein Landesverfahren"); err != nil {
		return err
	}
	s.clock.at(this + "-01-15")
	for i, id := range settlementAgreements {
		if _, err := deals[id].Invoice(ctx, schema.Uint(y), fmt.Sprintf("GD-%s-%04d", this, i+1)); err != nil {
			return err
		}
	}
	return nil
}

// approveBoth has the customer and the Anbieter approve the latest fee version.
func approveBoth(ctx context.Context, d *scenario.Deal) error {
	if err := d.Approve(ctx, d.Customer); err != nil {
		return err
	}
	return d.Approve(ctx, d.Anbieter)
}
