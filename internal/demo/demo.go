// Package demo seeds an embedded registry with a realistic demo: the
// cooperative's members, real municipalities and Länder (ARS/AGS from
// ../shared/data), OZG offerings, price models labelled as sample figures,
// and agreements in every state. Every party gets a signing key, saved in
// DIR/demo-keys/<party>.key so that a person can sign further acts.
package demo

import (
	"context"
	"fmt"
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

// demoParty is the id the demo's first party has: Seeded looks for it.
const demoParty = "govdigital"

type seeder struct {
	ctx     context.Context
	b       *scenario.Builder
	parties map[string]*scenario.Party
	models  map[string]string // offering id → price-model hash
}

// Seeded reports whether the demo is in the ledger already.
func Seeded(ctx context.Context, c *client.Client) bool {
	_, err := c.Party(ctx, demoParty)
	return err == nil
}

// Seed writes the demo through the chaincode, as the members and parties
// would: member admins register parties and their keys, parties sign acts.
// The parties' keys are saved in dir/demo-keys.
func Seed(ctx context.Context, r *embedded.Registry, dir string) error {
	reg, err := r.Scenario(Members[0], Members...)
	if err != nil {
		return err
	}
	keysDir := filepath.Join(dir, "demo-keys")
	if err := os.MkdirAll(keysDir, 0o700); err != nil {
		return fmt.Errorf("demo: keys directory: %w", err)
	}
	s := &seeder{ctx: ctx, b: scenario.New(reg, scenario.WithKeyDir(keysDir)), parties: map[string]*scenario.Party{}, models: map[string]string{}}
	for _, step := range []func() error{s.registerParties, s.offerings, s.agreements} {
		if err := step(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

func (s *seeder) registerParties() error {
	leitweg := func(coarse, fine string) string {
		return coarse + "-" + fine + "-" + identifier.LeitwegCheckDigits(coarse, fine)
	}
	parties := []struct {
		msp string
		reg schema.PartyRegistration
	}{
		{scenario.AKDB, schema.PartyRegistration{ID: demoParty, Kind: schema.KindAnbieter, Name: "govdigital eG"}},
		{scenario.Dataport, schema.PartyRegistration{ID: "fitko", Kind: schema.KindAnbieter, Name: "FITKO (Föderale IT-Kooperation)"}},
		{scenario.Dataport, schema.PartyRegistration{ID: "land-mv", Kind: schema.KindLand, Name: "Land Mecklenburg-Vorpommern", AGS: "13000000"}},
		{scenario.Dataport, schema.PartyRegistration{ID: "land-brandenburg", Kind: schema.KindLand, Name: "Land Brandenburg", AGS: "12000000"}},
		{scenario.AKDB, schema.PartyRegistration{ID: "land-hessen", Kind: schema.KindLand, Name: "Land Hessen", AGS: "06000000"}},
		{scenario.Dataport, schema.PartyRegistration{ID: "dataport", Kind: schema.KindITDienstleister, Name: "Dataport AöR"}},
		{scenario.RegioIT, schema.PartyRegistration{ID: "stadt-koeln", Kind: schema.KindKommune, Name: "Stadt Köln",
			ARS: "053150000000", AGS: "05315000", LeitwegID: leitweg("05315000", "000001"), InHouse: []string{demoParty, "fitko"}}},
		{scenario.RegioIT, schema.PartyRegistration{ID: "stadt-aachen", Kind: schema.KindKommune, Name: "Stadt Aachen",
			AGS: "05334002", InHouse: []string{demoParty}}},
		{scenario.Dataport, schema.PartyRegistration{ID: "stadt-schwerin", Kind: schema.KindKommune, Name: "Landeshauptstadt Schwerin",
			AGS: "13004000", InHouse: []string{demoParty}}},
		{scenario.Dataport, schema.PartyRegistration{ID: "hamburg", Kind: schema.KindLand, Name: "Freie und Hansestadt Hamburg",
			AGS: "02000000", InHouse: []string{demoParty, "fitko"}}},
	}
	for _, p := range parties {
		party, err := s.b.Party(s.ctx, p.msp, p.reg)
		if err != nil {
			return err
		}
		s.parties[p.reg.ID] = party
	}
	return nil
}

func (s *seeder) offerings() error {
	type offering struct {
		content  schema.OfferingContent
		accept   bool
		model    schema.PriceModelContent
		withdraw bool
	}
	sampleLeiKa := "LeiKa key: sample, not verified (none could be verified from the sources available)."
	offerings := []offering{
		{content: schema.OfferingContent{Offering: "aufenthaltstitel", Supplier: "land-brandenburg", Anbieter: "govdigital", Kind: schema.KindOZGService,
			Title: "Aufenthaltstitel", Description: "Beantragung eines Aufenthaltstitels (EfA, Federführung Brandenburg). " + sampleLeiKa,
			Themenfeld: "Ein- & Auswanderung", LeiKaKeys: []string{"99999999000001"}, OZGIDs: []string{"10255"}, EfaFinanced: true,
			CostInfrastructure: 3_600_000, CostDevelopment: 9_800_000, CostPlatform: 450_000, CostOperation: 5_200_000, CostUsage: 120_000},
			accept: true,
			model: schema.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: schema.KeyKoenigsteiner, WeightKoenigsteiner: 10000,
				AnnualFee: 2_450_000, ProRataFee: 204_167, ConnectionFee: 150_000, ScopeOfUse: SampleNote}},
		{content: schema.OfferingContent{Offering: "digitaler-bauantrag", Supplier: "land-mv", Anbieter: "govdigital", Kind: schema.KindOZGService,
			Title: "Digitaler Bauantrag", Description: "Baugenehmigungsverfahren online (EfA, Federführung Mecklenburg-Vorpommern). " + sampleLeiKa,
			Themenfeld: "Bauen & Wohnen", LeiKaKeys: []string{"99999999000002"}, OZGIDs: []string{}, EfaFinanced: true,
			CostInfrastructure: 2_400_000, CostDevelopment: 6_100_000, CostPlatform: 300_000, CostOperation: 3_900_000, CostUsage: 80_000},
			accept: true,
			model: schema.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: schema.KeyCombination, WeightInhabitants: 5000, WeightKoenigsteiner: 5000,
				AnnualFee: 1_200_000, ProRataFee: 100_000, ConnectionFee: 250_000, ScopeOfUse: SampleNote}},
		{content: schema.OfferingContent{Offering: "fuehrerscheinantrag", Supplier: "land-hessen", Anbieter: "govdigital", Kind: schema.KindOZGService,
			Title: "Führerscheinantrag", Description: "Digitaler Führerscheinantrag (EfA, Hessen): Ersterteilung, Ersatz, Umschreibung, Erweiterung. Themenfeld assumed. " + sampleLeiKa,
			Themenfeld: "Mobilität & Reisen", LeiKaKeys: []string{"99999999000003"}, OZGIDs: []string{"10169"}, EfaFinanced: true,
			CostInfrastructure: 1_800_000, CostDevelopment: 4_200_000, CostPlatform: 250_000, CostOperation: 2_600_000, CostUsage: 40_000},
			accept: true,
			model: schema.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: schema.KeyCases, WeightCases: 10000,
				AnnualFee: 800_000, ProRataFee: 66_667, ConnectionFee: 100_000, ScopeOfUse: SampleNote}},
		{content: schema.OfferingContent{Offering: "mutterschutzmitteilung", Supplier: "dataport", Anbieter: "fitko", Kind: schema.KindOZGService,
			Title: "Mutterschutzmitteilung", Description: "Mitteilung über die Beschäftigung einer schwangeren oder stillenden Frau. Themenfeld assumed. " + sampleLeiKa,
			Themenfeld: "Arbeit & Ruhestand", LeiKaKeys: []string{"99999999000004"}, OZGIDs: []string{}, EfaFinanced: false,
			CostInfrastructure: 600_000, CostDevelopment: 1_500_000, CostPlatform: 90_000, CostOperation: 900_000},
			accept: true,
			model: schema.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: schema.KeyInhabitants, WeightInhabitants: 10000,
				AnnualFee: 300_000, ProRataFee: 25_000, ConnectionFee: 50_000, ScopeOfUse: SampleNote}},
		{content: schema.OfferingContent{Offering: "e-akte", Supplier: "dataport", Anbieter: "fitko", Kind: schema.KindCloudService,
			Title: "E-Akte als Dienst", Description: "Elektronische Aktenführung als Software-as-a-Service (submitted, awaiting the Anbieter).",
			LeiKaKeys: []string{}, OZGIDs: []string{}, CostInfrastructure: 1_000_000, CostOperation: 1_500_000}},
		{content: schema.OfferingContent{Offering: "bewohnerparkausweis", Supplier: "land-mv", Anbieter: "govdigital", Kind: schema.KindOZGService,
			Title: "Bewohnerparkausweis", Description: "Antrag auf einen Bewohnerparkausweis (withdrawn from the marketplace). Themenfeld assumed.",
			Themenfeld: "Mobilität & Reisen", LeiKaKeys: []string{}, OZGIDs: []string{}},
			accept: true, withdraw: true},
	}
	for _, o := range offerings {
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

func (s *seeder) agreements() error {
	type agreement struct {
		id, offering, customer, supplier, anbieter, parent, until string
		annual                                                    uint64
	}
	const (
		interest = schema.AgreementInterest
		fees     = schema.AgreementFeesEntered
		approved = schema.AgreementApproved
		order    = schema.AgreementConcluded
		change   = schema.AgreementFeeChangePending
		end      = schema.AgreementTerminated
	)
	agreements := []agreement{
		{"koeln-bauantrag", "digitaler-bauantrag", "stadt-koeln", "land-mv", "govdigital", "", order, 1_200_000},
		{"koeln-bauantrag-bezirk-porz", "digitaler-bauantrag", "stadt-koeln", "land-mv", "govdigital", "koeln-bauantrag", order, 150_000},
		{"aachen-bauantrag", "digitaler-bauantrag", "stadt-aachen", "land-mv", "govdigital", "", approved, 450_000},
		{"schwerin-bauantrag", "digitaler-bauantrag", "stadt-schwerin", "land-mv", "govdigital", "", fees, 200_000},
		{"hamburg-aufenthaltstitel", "aufenthaltstitel", "hamburg", "land-brandenburg", "govdigital", "", interest, 0},
		{"koeln-aufenthaltstitel", "aufenthaltstitel", "stadt-koeln", "land-brandenburg", "govdigital", "", change, 980_000},
		{"hamburg-fuehrerschein", "fuehrerscheinantrag", "hamburg", "land-hessen", "govdigital", "", end, 640_000},
		{"hamburg-mutterschutz", "mutterschutzmitteilung", "hamburg", "dataport", "fitko", "", order, 120_000},
	}
	endDate := time.Now().AddDate(0, 3, 0).Format(time.DateOnly)
	for _, a := range agreements {
		d := s.b.NewDeal(a.id, a.offering, s.models[a.offering], a.parent, s.parties[a.customer], s.parties[a.supplier], s.parties[a.anbieter])
		agreed := schema.Fees{AnnualFee: a.annual, ProRataFee: a.annual / 12, ConnectionFee: 50_000, ScopeOfUse: SampleNote}
		if err := d.Until(s.ctx, a.until, agreed, endDate); err != nil {
			return err
		}
	}
	return nil
}
