// Package demo seeds an embedded registry with a realistic demo: the
// cooperative's members, real municipalities and Länder (ARS/AGS from
// ../shared/data), OZG offerings, price models labelled as sample figures,
// and agreements in every state. Every party gets a signing key, saved in
// DIR/demo-keys/<party>.key so that a person can sign further acts.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/schema/identifier"
)

// Members are the member orgs of the demo, each running part of the registry.
var Members = scenario.Members

// SampleNote marks figures no official source publishes.
const SampleNote = "SAMPLE FIGURES for the demo: no official per-inhabitant EfA prices are published"

// demoParty is the id the demo's first party has: Check looks for it.
const demoParty = "govdigital"

type seeder struct {
	ctx     context.Context
	b       *scenario.Builder
	reader  *client.Client
	clock   *clock
	parties map[string]*scenario.Party
	models  map[string]string // offering id → price-model hash
}

// Seed writes the demo through the chaincode, as the members and parties
// would: member admins register parties and their keys, parties sign acts.
// The parties' keys are saved in dir/demo-keys, each written and synced
// before it is registered. A seed that stops half-way leaves a partial
// demo: registry-api seeds with Open, which builds the demo aside and moves
// it into place once complete.
func Seed(ctx context.Context, r *embedded.Registry, dir string) error {
	return seed(ctx, r, filepath.Join(dir, keysDirName), nil, nil)
}

// seed writes the demo, with the parties' keys in keysDir, logging each
// step done to logger (if any); wrap (tests) wraps the registry the acts go to.
func seed(ctx context.Context, r *embedded.Registry, keysDir string, logger *slog.Logger, wrap func(scenario.Registry) scenario.Registry) error {
	clients, err := r.Scenario(Members[0], Members...)
	if err != nil {
		return err
	}
	var reg scenario.Registry = clients
	if wrap != nil {
		reg = wrap(reg)
	}
	if err := os.MkdirAll(keysDir, 0o700); err != nil {
		return fmt.Errorf("demo: keys directory: %w", err)
	}
	// The demo is dated: it begins in January of last year, so that there
	// are last year's invoices; the ledger stamps its acts with this clock.
	c := newClock()
	c.at(fmt.Sprintf("%d-01-10", c.max.Year()-1))
	r.SetClock(c.now)
	defer r.SetClock(nil)
	s := &seeder{ctx: ctx, b: scenario.New(reg, scenario.WithKeyDir(keysDir), scenario.WithClock(c.now)), reader: clients.Relay, clock: c,
		parties: map[string]*scenario.Party{}, models: map[string]string{}}
	steps := []struct {
		name string
		run  func() error
	}{{"parties registered", s.registerParties}, {"offerings and price models published", s.offerings}, {"agreements made", s.agreements},
		{"figures, allocation, fee adjustment and invoices recorded", s.settlement}}
	for _, step := range steps {
		if err := step.run(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if logger != nil {
			logger.Info("demo: " + step.name)
		}
	}
	return nil
}

// partySpec is a party of the demo and the member org that vouches for it.
type partySpec struct {
	msp string
	reg schema.PartyRegistration
}

// demoParties are the demo's parties, in the order they are registered.
func demoParties() []partySpec {
	leitweg := func(coarse, fine string) string {
		return coarse + "-" + fine + "-" + identifier.LeitwegCheckDigits(coarse, fine)
	}
	return []partySpec{
		{scenario.AKDB, schema.PartyRegistration{ID: demoParty, Kind: schema.KindAnbieter, Name: "govdigital eG"}},
		{scenario.Dataport, schema.PartyRegistration{ID: "fitko", Kind: schema.KindAnbieter, Name: "FITKO (Föderale IT-Kooperation)"}},
		{scenario.Dataport, schema.PartyRegistration{ID: "land-mv", Kind: schema.KindLand, Name: "Land Mecklenburg-Vorpommern", AGS: "13000000"}},
		{scenario.Dataport, schema.PartyRegistration{ID: "land-brandenburg", Kind: schema.KindLand, Name: "Land Brandenburg", AGS: "12000000"}},
		{scenario.AKDB, schema.PartyRegistration{ID: "land-hessen", Kind: schema.KindLand, Name: "Land Hessen", AGS: "06000000"}},
		{scenario.Dataport, schema.PartyRegistration{ID: "dataport", Kind: schema.KindITDienstleister, Name: "Dataport AöR"}},
		{scenario.RegioIT, schema.PartyRegistration{ID: "stadt-koeln", Kind: schema.KindKommune, Name: "Stadt Köln",
			ARS: "053150000000", AGS: "05315000", LeitwegID: leitweg("05315000", "000001"), InHouse: []string{demoParty, "fitko"}}},
		{scenario.RegioIT, schema.PartyRegistration{ID: "stadt-aachen", Kind: schema.KindKommune, Name: "Stadt Aachen",
			AGS: "05334002", LeitwegID: leitweg("05334002", "000001"), InHouse: []string{demoParty}}},
		{scenario.Dataport, schema.PartyRegistration{ID: "stadt-schwerin", Kind: schema.KindKommune, Name: "Landeshauptstadt Schwerin",
			AGS: "13004000", LeitwegID: leitweg("13004000", "000001"), InHouse: []string{demoParty}}},
		{scenario.Dataport, schema.PartyRegistration{ID: "hamburg", Kind: schema.KindLand, Name: "Freie und Hansestadt Hamburg",
			AGS: "02000000", LeitwegID: leitweg("02", "000001"), InHouse: []string{demoParty, "fitko"}}},
	}
}

func (s *seeder) registerParties() error {
	for _, p := range demoParties() {
		party, err := s.b.Party(s.ctx, p.msp, p.reg)
		if err != nil {
			return err
		}
		s.parties[p.reg.ID] = party
	}
	return nil
}

// offeringSpec is an offering of the demo: its first version, whether the
// Anbieter accepts it, its first price model (none without a distribution
// key) and whether its supplier withdraws it.
type offeringSpec struct {
	content  schema.OfferingContent
	accept   bool
	model    schema.PriceModelContent
	withdraw bool
}

// status is the status the demo leaves the offering in.
func (o offeringSpec) status() string {
	switch {
	case o.withdraw:
		return schema.OfferingWithdrawn
	case o.accept:
		return schema.OfferingPublished
	}
	return schema.OfferingSubmitted
}

// demoOfferings are the demo's offerings, in the order they are submitted.
func demoOfferings() []offeringSpec {
	sampleLeiKa := "LeiKa key: sample, not verified (none could be verified from the sources available)."
	return []offeringSpec{
		{content: schema.OfferingContent{Offering: "aufenthaltstitel", Supplier: "land-brandenburg", Anbieter: "govdigital", Kind: schema.KindOZGService,
			Title: "Aufenthaltstitel", Description: "Beantragung eines Aufenthaltstitels (EfA, Federführung Brandenburg). " + sampleLeiKa,
			Themenfeld: "Ein- & Auswanderung", LeiKaKeys: []string{"99999999000001"}, OZGIDs: []string{"10255"}, EfaFinanced: true,
			CostInfrastructure: 3_600_000, CostDevelopment: 9_800_000, CostPlatform: 450_000, CostOperation: 5_200_000, CostUsage: 120_000},
			accept: true,
			model: schema.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: schema.KeyKoenigsteiner, WeightKoenigsteiner: 10000,
				AnnualFee: 2_450_000, ProRataFee: 204_167, ConnectionFee: 150_000, ScopeOfUse: SampleNote,
				VATCategory: schema.VATNotSubject, VATExemption: scenario.NotSubjectToVAT}},
		{content: schema.OfferingContent{Offering: "digitaler-bauantrag", Supplier: "land-mv", Anbieter: "govdigital", Kind: schema.KindOZGService,
			Title: "Digitaler Bauantrag", Description: "Baugenehmigungsverfahren online (EfA, Federführung Mecklenburg-Vorpommern). " + sampleLeiKa,
			Themenfeld: "Bauen & Wohnen", LeiKaKeys: []string{"99999999000002"}, OZGIDs: []string{}, EfaFinanced: true,
			CostInfrastructure: 2_400_000, CostDevelopment: 6_100_000, CostPlatform: 300_000, CostOperation: 3_900_000, CostUsage: 80_000},
			accept: true,
			model: schema.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: schema.KeyCombination, WeightInhabitants: 5000, WeightKoenigsteiner: 5000,
				AnnualFee: 1_200_000, ProRataFee: 100_000, ConnectionFee: 250_000, ScopeOfUse: SampleNote,
				VATCategory: schema.VATNotSubject, VATExemption: scenario.NotSubjectToVAT}},
		{content: schema.OfferingContent{Offering: "fuehrerscheinantrag", Supplier: "land-hessen", Anbieter: "govdigital", Kind: schema.KindOZGService,
			Title: "Führerscheinantrag", Description: "Digitaler Führerscheinantrag (EfA, Hessen): Ersterteilung, Ersatz, Umschreibung, Erweiterung. Themenfeld assumed. " + sampleLeiKa,
			Themenfeld: "Mobilität & Reisen", LeiKaKeys: []string{"99999999000003"}, OZGIDs: []string{"10169"}, EfaFinanced: true,
			CostInfrastructure: 1_800_000, CostDevelopment: 4_200_000, CostPlatform: 250_000, CostOperation: 2_600_000, CostUsage: 40_000},
			accept: true,
			model: schema.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: schema.KeyCases, WeightCases: 10000,
				AnnualFee: 800_000, ProRataFee: 66_667, ConnectionFee: 100_000, ScopeOfUse: SampleNote,
				VATCategory: schema.VATNotSubject, VATExemption: scenario.NotSubjectToVAT}},
		{content: schema.OfferingContent{Offering: "mutterschutzmitteilung", Supplier: "dataport", Anbieter: "fitko", Kind: schema.KindOZGService,
			Title: "Mutterschutzmitteilung", Description: "Mitteilung über die Beschäftigung einer schwangeren oder stillenden Frau. Themenfeld assumed. " + sampleLeiKa,
			Themenfeld: "Arbeit & Ruhestand", LeiKaKeys: []string{"99999999000004"}, OZGIDs: []string{}, EfaFinanced: false,
			CostInfrastructure: 600_000, CostDevelopment: 1_500_000, CostPlatform: 90_000, CostOperation: 900_000},
			accept: true,
			model: schema.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: schema.KeyInhabitants, WeightInhabitants: 10000,
				AnnualFee: 300_000, ProRataFee: 25_000, ConnectionFee: 50_000, ScopeOfUse: SampleNote,
				VATCategory: schema.VATNotSubject, VATExemption: scenario.NotSubjectToVAT}},
		{content: schema.OfferingContent{Offering: "e-akte", Supplier: "dataport", Anbieter: "fitko", Kind: schema.KindCloudService,
			Title: "E-Akte als Dienst", Description: "Elektronische Aktenführung als Software-as-a-Service (submitted, awaiting the Anbieter).",
			LeiKaKeys: []string{}, OZGIDs: []string{}, CostInfrastructure: 1_000_000, CostOperation: 1_500_000}},
		{content: schema.OfferingContent{Offering: "bewohnerparkausweis", Supplier: "land-mv", Anbieter: "govdigital", Kind: schema.KindOZGService,
			Title: "Bewohnerparkausweis", Description: "Antrag auf einen Bewohnerparkausweis (withdrawn from the marketplace). Themenfeld assumed.",
			Themenfeld: "Mobilität & Reisen", LeiKaKeys: []string{}, OZGIDs: []string{}},
			accept: true, withdraw: true},
	}
}

func (s *seeder) offerings() error {
	for _, o := range demoOfferings() {
		o.content.Version = 1
		o.content.DocumentHashes = []string{}
		supplier, anbieter := s.parties[o.content.Supplier], s.parties[o.content.Anbieter]
		rec, err := s.b.Offering(s.ctx, supplier, anbieter, &schema.SubmitOfferingMessage{OfferingContent: o.content, Replay: s.b.Replay()}, o.accept)
		if err != nil {
			return err
		}
		if o.model.DistributionKey != "" {
			o.model.Offering, o.model.Version, o.model.PredecessorHash = rec.Offering, 1, schema.ZeroHash
			pm, err := s.b.PriceModel(s.ctx, supplier, &schema.PublishPriceModelMessage{PriceModelContent: o.model, Replay: s.b.Replay()})
			if err != nil {
				return err
			}
			s.models[rec.Offering] = pm.Hash
		}
		if o.withdraw {
			if err := s.b.Act(s.ctx, supplier, &schema.WithdrawOfferingMessage{Offering: rec.Offering, Party: supplier.ID,
				Reason: "replaced by a Land-wide solution", Replay: s.b.Replay()}, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// agreementSpec is an agreement of the demo and the status it is driven to.
type agreementSpec struct {
	id, offering, customer, supplier, anbieter, parent, until string
	annual                                                    uint64
}

// demoAgreements are the demo's agreements, each driven until its status.
var demoAgreements = []agreementSpec{
	{"koeln-bauantrag", "digitaler-bauantrag", "stadt-koeln", "land-mv", "govdigital", "", schema.AgreementConcluded, 1_200_000},
	{"koeln-bauantrag-bezirk-porz", "digitaler-bauantrag", "stadt-koeln", "land-mv", "govdigital", "koeln-bauantrag", schema.AgreementConcluded, 150_000},
	{"aachen-bauantrag", "digitaler-bauantrag", "stadt-aachen", "land-mv", "govdigital", "", schema.AgreementApproved, 450_000},
	{"schwerin-bauantrag", "digitaler-bauantrag", "stadt-schwerin", "land-mv", "govdigital", "", schema.AgreementFeesEntered, 200_000},
	{"hamburg-aufenthaltstitel", "aufenthaltstitel", "hamburg", "land-brandenburg", "govdigital", "", schema.AgreementInterest, 0},
	{"koeln-aufenthaltstitel", "aufenthaltstitel", "stadt-koeln", "land-brandenburg", "govdigital", "", schema.AgreementFeeChangePending, 980_000},
	{"hamburg-fuehrerschein", "fuehrerscheinantrag", "hamburg", "land-hessen", "govdigital", "", schema.AgreementTerminated, 640_000},
	{"hamburg-mutterschutz", "mutterschutzmitteilung", "hamburg", "dataport", "fitko", "", schema.AgreementConcluded, 120_000},
}

func (s *seeder) agreements() error {
	endDate := time.Now().AddDate(0, 3, 0).Format(time.DateOnly)
	for _, a := range demoAgreements {
		d := s.b.NewDeal(a.id, a.offering, s.models[a.offering], a.parent, s.parties[a.customer], s.parties[a.supplier], s.parties[a.anbieter])
		agreed := schema.Fees{AnnualFee: schema.Uint(a.annual), ProRataFee: schema.Uint(a.annual / 12), ConnectionFee: 50_000, ScopeOfUse: SampleNote}
		if err := d.Until(s.ctx, a.until, agreed, endDate); err != nil {
			return err
		}
	}
	return nil
}
