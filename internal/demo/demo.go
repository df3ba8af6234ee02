// Package demo seeds an embedded registry with a realistic demo: the
// cooperative's members, real municipalities and Länder (ARS/AGS from
// ../shared/data), OZG offerings, price models labelled as sample figures,
// and agreements in every state. Every party gets a signing key, saved in
// DIR/demo-keys/<party>.key so that a person can sign further acts.
package demo

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/chaincode/identifier"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/ethereum/go-ethereum/crypto"
)

// Members are the member orgs of the demo, each running part of the registry.
var Members = []string{"DataportMSP", "AKDBMSP", "RegioITMSP"}

// SampleNote marks figures no official source publishes.
const SampleNote = "SAMPLE FIGURES for the demo: no official per-inhabitant EfA prices are published"

type seeder struct {
	ctx     context.Context
	l       *ledger.Ledger
	relay   *client.Client
	admins  map[string]*client.Client
	keys    map[string]*ecdsa.PrivateKey
	keysDir string
	nonce   uint64
	hashes  map[string]string // offering id → price-model hash; agreement → terms hash
}

// Seeded reports whether the demo is in the ledger already.
func Seeded(ctx context.Context, c *client.Client) bool {
	_, err := c.Evaluate(ctx, "GetParty", "govdigital")
	return err == nil
}

// Seed writes the demo through the chaincode, as the members and parties
// would: member admins register parties and their keys, parties sign acts.
func Seed(ctx context.Context, l *ledger.Ledger, dir string) error {
	s := &seeder{ctx: ctx, l: l, admins: map[string]*client.Client{}, keys: map[string]*ecdsa.PrivateKey{},
		keysDir: filepath.Join(dir, "demo-keys"), hashes: map[string]string{}}
	for _, msp := range Members {
		id, err := l.Identity(msp, "admin")
		if err != nil {
			return err
		}
		s.admins[msp] = client.New(client.NewEmbedded(l, id, chaincode.Name))
	}
	relay, err := l.Identity(Members[0], "client")
	if err != nil {
		return err
	}
	s.relay = client.New(client.NewEmbedded(l, relay, chaincode.Name))
	if err := os.MkdirAll(s.keysDir, 0o700); err != nil {
		return fmt.Errorf("demo: keys directory: %w", err)
	}
	steps := []func() error{s.parties, s.offerings, s.agreements}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

func (s *seeder) parties() error {
	leitweg := func(coarse, fine string) string {
		return coarse + "-" + fine + "-" + identifier.LeitwegCheckDigits(coarse, fine)
	}
	parties := []struct {
		msp string
		reg chaincode.PartyRegistration
	}{
		{"AKDBMSP", chaincode.PartyRegistration{ID: "govdigital", Kind: chaincode.KindAnbieter, Name: "govdigital eG"}},
		{"DataportMSP", chaincode.PartyRegistration{ID: "fitko", Kind: chaincode.KindAnbieter, Name: "FITKO (Föderale IT-Kooperation)"}},
		{"DataportMSP", chaincode.PartyRegistration{ID: "land-mv", Kind: chaincode.KindLand, Name: "Land Mecklenburg-Vorpommern", AGS: "13000000"}},
		{"DataportMSP", chaincode.PartyRegistration{ID: "land-brandenburg", Kind: chaincode.KindLand, Name: "Land Brandenburg", AGS: "12000000"}},
		{"AKDBMSP", chaincode.PartyRegistration{ID: "land-hessen", Kind: chaincode.KindLand, Name: "Land Hessen", AGS: "06000000"}},
		{"DataportMSP", chaincode.PartyRegistration{ID: "dataport", Kind: chaincode.KindITDienstleister, Name: "Dataport AöR"}},
		{"RegioITMSP", chaincode.PartyRegistration{ID: "stadt-koeln", Kind: chaincode.KindKommune, Name: "Stadt Köln",
			ARS: "053150000000", AGS: "05315000", LeitwegID: leitweg("05315000", "000001"), InHouse: []string{"govdigital", "fitko"}}},
		{"RegioITMSP", chaincode.PartyRegistration{ID: "stadt-aachen", Kind: chaincode.KindKommune, Name: "Stadt Aachen",
			AGS: "05334002", InHouse: []string{"govdigital"}}},
		{"DataportMSP", chaincode.PartyRegistration{ID: "stadt-schwerin", Kind: chaincode.KindKommune, Name: "Landeshauptstadt Schwerin",
			AGS: "13004000", InHouse: []string{"govdigital"}}},
		{"DataportMSP", chaincode.PartyRegistration{ID: "hamburg", Kind: chaincode.KindLand, Name: "Freie und Hansestadt Hamburg",
			AGS: "02000000", InHouse: []string{"govdigital", "fitko"}}},
	}
	for _, p := range parties {
		if p.reg.InHouse == nil {
			p.reg.InHouse = []string{}
		}
		raw, err := json.Marshal(p.reg)
		if err != nil {
			return err
		}
		if _, err := s.admins[p.msp].Submit(s.ctx, "RegisterParty", string(raw)); err != nil {
			return fmt.Errorf("register %s: %w", p.reg.ID, err)
		}
		key, m, pop, err := chaincode.NewPartyKey(s.l.ChannelID(), p.reg.ID, s.replay())
		if err != nil {
			return err
		}
		if _, err := s.admins[p.msp].Submit(s.ctx, "AddKeyAsMember", m, pop); err != nil {
			return fmt.Errorf("key of %s: %w", p.reg.ID, err)
		}
		s.keys[p.reg.ID] = key
		if err := atomicfile.Write(filepath.Join(s.keysDir, p.reg.ID+".key"), []byte(hex.EncodeToString(crypto.FromECDSA(key))+"\n"), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (s *seeder) replay() chaincode.Replay {
	s.nonce++
	return chaincode.Replay{Nonce: fmt.Sprint(time.Now().UnixNano()) + fmt.Sprint(s.nonce), Deadline: chaincode.Uint(time.Now().Add(time.Hour).Unix())}
}

func (s *seeder) act(party string, m chaincode.Message) (json.RawMessage, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	sig, err := chaincode.Sign(s.l.ChannelID(), m, s.keys[party])
	if err != nil {
		return nil, err
	}
	out, _, err := s.relay.Act(s.ctx, m.PrimaryType(), string(raw), sig)
	if err != nil {
		return nil, fmt.Errorf("%s by %s: %w", m.PrimaryType(), party, err)
	}
	return out, nil
}

func (s *seeder) offerings() error {
	type offering struct {
		content  chaincode.OfferingContent
		accept   bool
		model    chaincode.PriceModelContent
		withdraw bool
	}
	sampleLeiKa := "LeiKa key: sample, not verified (none could be verified from the sources available)."
	offerings := []offering{
		{content: chaincode.OfferingContent{Offering: "aufenthaltstitel", Supplier: "land-brandenburg", Anbieter: "govdigital", Kind: chaincode.KindOZGService,
			Title: "Aufenthaltstitel", Description: "Beantragung eines Aufenthaltstitels (EfA, Federführung Brandenburg). " + sampleLeiKa,
			Themenfeld: "Ein- & Auswanderung", LeiKaKeys: []string{"99999999000001"}, OZGIDs: []string{"10255"}, EfaFinanced: true,
			CostInfrastructure: 3_600_000, CostDevelopment: 9_800_000, CostPlatform: 450_000, CostOperation: 5_200_000, CostUsage: 120_000},
			accept: true,
			model: chaincode.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: chaincode.KeyKoenigsteiner, WeightKoenigsteiner: 10000,
				AnnualFee: 2_450_000, ProRataFee: 204_167, ConnectionFee: 150_000, ScopeOfUse: SampleNote}},
		{content: chaincode.OfferingContent{Offering: "digitaler-bauantrag", Supplier: "land-mv", Anbieter: "govdigital", Kind: chaincode.KindOZGService,
			Title: "Digitaler Bauantrag", Description: "Baugenehmigungsverfahren online (EfA, Federführung Mecklenburg-Vorpommern). " + sampleLeiKa,
			Themenfeld: "Bauen & Wohnen", LeiKaKeys: []string{"99999999000002"}, OZGIDs: []string{}, EfaFinanced: true,
			CostInfrastructure: 2_400_000, CostDevelopment: 6_100_000, CostPlatform: 300_000, CostOperation: 3_900_000, CostUsage: 80_000},
			accept: true,
			model: chaincode.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: chaincode.KeyCombination, WeightInhabitants: 5000, WeightKoenigsteiner: 5000,
				AnnualFee: 1_200_000, ProRataFee: 100_000, ConnectionFee: 250_000, ScopeOfUse: SampleNote}},
		{content: chaincode.OfferingContent{Offering: "fuehrerscheinantrag", Supplier: "land-hessen", Anbieter: "govdigital", Kind: chaincode.KindOZGService,
			Title: "Führerscheinantrag", Description: "Digitaler Führerscheinantrag (EfA, Hessen): Ersterteilung, Ersatz, Umschreibung, Erweiterung. Themenfeld assumed. " + sampleLeiKa,
			Themenfeld: "Mobilität & Reisen", LeiKaKeys: []string{"99999999000003"}, OZGIDs: []string{"10169"}, EfaFinanced: true,
			CostInfrastructure: 1_800_000, CostDevelopment: 4_200_000, CostPlatform: 250_000, CostOperation: 2_600_000, CostUsage: 40_000},
			accept: true,
			model: chaincode.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: chaincode.KeyCases, WeightCases: 10000,
				AnnualFee: 800_000, ProRataFee: 66_667, ConnectionFee: 100_000, ScopeOfUse: SampleNote}},
		{content: chaincode.OfferingContent{Offering: "mutterschutzmitteilung", Supplier: "dataport", Anbieter: "fitko", Kind: chaincode.KindOZGService,
			Title: "Mutterschutzmitteilung", Description: "Mitteilung über die Beschäftigung einer schwangeren oder stillenden Frau. Themenfeld assumed. " + sampleLeiKa,
			Themenfeld: "Arbeit & Ruhestand", LeiKaKeys: []string{"99999999000004"}, OZGIDs: []string{}, EfaFinanced: false,
			CostInfrastructure: 600_000, CostDevelopment: 1_500_000, CostPlatform: 90_000, CostOperation: 900_000},
			accept: true,
			model: chaincode.PriceModelContent{ValidFrom: "2027-01-01", DistributionKey: chaincode.KeyInhabitants, WeightInhabitants: 10000,
				AnnualFee: 300_000, ProRataFee: 25_000, ConnectionFee: 50_000, ScopeOfUse: SampleNote}},
		{content: chaincode.OfferingContent{Offering: "e-akte", Supplier: "dataport", Anbieter: "fitko", Kind: chaincode.KindCloudService,
			Title: "E-Akte als Dienst", Description: "Elektronische Aktenführung als Software-as-a-Service (submitted, awaiting the Anbieter).",
			LeiKaKeys: []string{}, OZGIDs: []string{}, CostInfrastructure: 1_000_000, CostOperation: 1_500_000}},
		{content: chaincode.OfferingContent{Offering: "bewohnerparkausweis", Supplier: "land-mv", Anbieter: "govdigital", Kind: chaincode.KindOZGService,
			Title: "Bewohnerparkausweis", Description: "Antrag auf einen Bewohnerparkausweis (withdrawn from the marketplace). Themenfeld assumed.",
			Themenfeld: "Mobilität & Reisen", LeiKaKeys: []string{}, OZGIDs: []string{}},
			accept: true, withdraw: true},
	}
	for _, o := range offerings {
		o.content.Version = 1
		o.content.DocumentHashes = []string{}
		raw, err := s.act(o.content.Supplier, &chaincode.SubmitOfferingMessage{OfferingContent: o.content, Replay: s.replay()})
		if err != nil {
			return err
		}
		var rec chaincode.Offering
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		if o.accept {
			if _, err := s.act(o.content.Anbieter, &chaincode.AcceptOfferingMessage{Offering: rec.Offering, Version: 1, OfferingHash: rec.Hash, Replay: s.replay()}); err != nil {
				return err
			}
		}
		if o.model.DistributionKey != "" {
			o.model.Offering, o.model.Version, o.model.PredecessorHash = rec.Offering, 1, chaincode.ZeroHash
			raw, err := s.act(o.content.Supplier, &chaincode.PublishPriceModelMessage{PriceModelContent: o.model, Replay: s.replay()})
			if err != nil {
				return err
			}
			var pm chaincode.PriceModel
			if err := json.Unmarshal(raw, &pm); err != nil {
				return err
			}
			s.hashes[rec.Offering] = pm.Hash
		}
		if o.withdraw {
			if _, err := s.act(o.content.Supplier, &chaincode.WithdrawOfferingMessage{Offering: rec.Offering, Party: o.content.Supplier,
				Reason: "replaced by a Land-wide solution", Replay: s.replay()}); err != nil {
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
		interest = "INTEREST"
		fees     = "FEES_ENTERED"
		approved = "APPROVED"
		order    = "CONCLUDED"
		change   = "FEE_CHANGE_PENDING"
		end      = "TERMINATED"
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
	steps := []string{interest, fees, approved, order, change, end}
	for _, a := range agreements {
		if _, err := s.act(a.customer, &chaincode.ExpressInterestMessage{Agreement: a.id, Offering: a.offering, Customer: a.customer,
			ParentAgreement: a.parent, Replay: s.replay()}); err != nil {
			return err
		}
		var terms string
		enter := func(version uint64, annual uint64) error {
			raw, err := s.act(a.supplier, &chaincode.EnterFeesMessage{Agreement: a.id, FeeVersion: chaincode.Uint(version),
				PriceModelHash: s.hashes[a.offering], AnnualFee: chaincode.Uint(annual), ProRataFee: chaincode.Uint(annual / 12),
				ConnectionFee: 50_000, ScopeOfUse: SampleNote, Replay: s.replay()})
			if err != nil {
				return err
			}
			var rec chaincode.Agreement
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
			terms = rec.TermsHash
			return nil
		}
		approve := func(version uint64) error {
			for _, p := range []string{a.customer, a.anbieter} {
				if _, err := s.act(p, &chaincode.ApproveFeesMessage{Agreement: a.id, Party: p, FeeVersion: chaincode.Uint(version),
					TermsHash: terms, Replay: s.replay()}); err != nil {
					return err
				}
			}
			return nil
		}
		for _, step := range steps[1:] {
			if indexOf(steps, step) > indexOf(steps, a.until) {
				break
			}
			var err error
			switch step {
			case fees:
				err = enter(1, a.annual)
			case approved:
				err = approve(1)
			case order:
				_, err = s.act(a.customer, &chaincode.PlaceOrderMessage{Agreement: a.id, TermsHash: terms, Replay: s.replay()})
			case change:
				err = enter(2, a.annual*105/100) // the September fee change: +5 %
			case end:
				_, err = s.act(a.customer, &chaincode.TerminateMessage{Agreement: a.id, Party: a.customer,
					EndDate: time.Now().AddDate(0, 3, 0).Format(time.DateOnly), Reason: "Wechsel des Verfahrens", Replay: s.replay()})
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
