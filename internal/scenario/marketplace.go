package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/schema/identifier"
)

// The standard parties: real municipalities and Länder (../shared/data),
// with ids made unique by the builder.

// Koeln is Stadt Köln, a Kommune with ARS, AGS and Leitweg-ID, in-house
// with the Anbieter named.
func (b *Builder) Koeln(inHouse ...string) schema.PartyRegistration {
	return schema.PartyRegistration{
		ID: b.ID("stadt-koeln"), Kind: schema.KindKommune, Name: "Stadt Köln",
		ARS: "053150000000", AGS: "05315000", LeitwegID: "05315000-1234512345-" + identifier.LeitwegCheckDigits("05315000", "1234512345"),
		InHouse: inHouse,
	}
}

// Govdigital is govdigital eG, an Anbieter.
func (b *Builder) Govdigital() schema.PartyRegistration {
	return schema.PartyRegistration{ID: b.ID("govdigital"), Kind: schema.KindAnbieter, Name: "govdigital eG"}
}

// LandMV is the Land Mecklenburg-Vorpommern, a supplier.
func (b *Builder) LandMV() schema.PartyRegistration {
	return schema.PartyRegistration{ID: b.ID("land-mv"), Kind: schema.KindLand, Name: "Land Mecklenburg-Vorpommern", AGS: "13000000"}
}

// Bauantrag is a version of the digital building permit offering of Land
// MV through govdigital.
func (b *Builder) Bauantrag(version uint64) *schema.SubmitOfferingMessage {
	return &schema.SubmitOfferingMessage{OfferingContent: schema.OfferingContent{
		Offering: b.ID("digitaler-bauantrag"), Version: schema.Uint(version), Supplier: b.ID("land-mv"), Anbieter: b.ID("govdigital"),
		Kind: schema.KindOZGService, Title: "Digitaler Bauantrag",
		Description: "Baugenehmigungsverfahren online (EfA, Federführung Mecklenburg-Vorpommern)",
		Themenfeld:  "Bauen & Wohnen", LeiKaKeys: []string{"99999999000000"}, OZGIDs: []string{},
		EfaFinanced: true, CostInfrastructure: 1_200_000, CostDevelopment: 3_400_000, CostPlatform: 150_000,
		CostOperation: 2_100_000, CostUsage: 0,
		DocumentHashes: []string{"0x" + "ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34ab12cd34"},
	}, Replay: b.Replay()}
}

// SamplePriceModel is a price-model version of the building permit, after
// its predecessor's hash (schema.ZeroHash for the first). Its figures are
// samples: no official EfA prices are published.
func (b *Builder) SamplePriceModel(version uint64, predecessor string) *schema.PublishPriceModelMessage {
	return &schema.PublishPriceModelMessage{PriceModelContent: schema.PriceModelContent{
		Offering: b.ID("digitaler-bauantrag"), Version: schema.Uint(version), PredecessorHash: predecessor,
		ValidFrom: "2027-01-01", DistributionKey: schema.KeyCombination,
		WeightInhabitants: 5000, WeightKoenigsteiner: 5000,
		AnnualFee: 4_250_000, ProRataFee: 354_167, ConnectionFee: 500_000,
		ScopeOfUse:  "SAMPLE FIGURES — no official EfA prices are published",
		VATCategory: schema.VATNotSubject, VATExemption: NotSubjectToVAT,
	}, Replay: b.Replay()}
}

// NotSubjectToVAT is the reason the sample price models state for charging
// no VAT: FITKO has charged none since May 2025 where re-use serves
// sovereign tasks.
const NotSubjectToVAT = "Nicht steuerbar: Nachnutzung im Rahmen hoheitlicher Aufgaben (kein Leistungsaustausch im Sinne des § 1 UStG)"

// Offering submits an offering version signed by its supplier and, with
// accept, has the Anbieter accept it; it returns the offering as it stands.
func (b *Builder) Offering(ctx context.Context, supplier, anbieter *Party, m *schema.SubmitOfferingMessage, accept bool) (*schema.Offering, error) {
	var o schema.Offering
	if err := b.Act(ctx, supplier, m, &o); err != nil {
		return nil, err
	}
	if accept {
		return b.AcceptOffering(ctx, anbieter, &o)
	}
	return &o, nil
}

// AcceptOffering has the Anbieter accept the latest version of an offering
// as it stands; it returns the offering as accepted.
func (b *Builder) AcceptOffering(ctx context.Context, anbieter *Party, o *schema.Offering) (*schema.Offering, error) {
	var out schema.Offering
	if err := b.Act(ctx, anbieter, &schema.AcceptOfferingMessage{Offering: o.Offering, Version: o.Version, OfferingHash: o.Hash, Replay: b.Replay()}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PriceModel publishes a price-model version signed by the supplier.
func (b *Builder) PriceModel(ctx context.Context, supplier *Party, m *schema.PublishPriceModelMessage) (*schema.PriceModel, error) {
	var pm schema.PriceModel
	if err := b.Act(ctx, supplier, m, &pm); err != nil {
		return nil, err
	}
	return &pm, nil
}

// Marketplace is the standard scenario: govdigital (the Anbieter), Land MV
// (the supplier) and Stadt Köln (the customer, in-house with govdigital),
// the digital building permit on the marketplace, and a price model.
type Marketplace struct {
	*Builder
	Anbieter, Supplier, Customer *Party
	// Submitted is the offering as its supplier submitted it, Offering as
	// the Anbieter accepted it.
	Submitted, Offering schema.Offering
	PriceModel          schema.PriceModel
}

// Vouching names the member org that vouches for each party of the
// marketplace.
type Vouching struct {
	Anbieter, Supplier, Customer string
}

// SpreadVouching spreads the parties over the three member orgs, so that an
// agreement's key-level endorsement policy names two orgs (AKDB and regio iT).
var SpreadVouching = Vouching{Anbieter: AKDB, Supplier: Dataport, Customer: RegioIT}

// Marketplace registers the parties, submits and accepts the offering and
// publishes its first price model.
func (b *Builder) Marketplace(ctx context.Context, v Vouching) (*Marketplace, error) {
	m := &Marketplace{Builder: b}
	var err error
	if m.Anbieter, err = b.Party(ctx, v.Anbieter, b.Govdigital()); err != nil {
		return nil, err
	}
	if m.Supplier, err = b.Party(ctx, v.Supplier, b.LandMV()); err != nil {
		return nil, err
	}
	if m.Customer, err = b.Party(ctx, v.Customer, b.Koeln(m.Anbieter.ID)); err != nil {
		return nil, err
	}
	o, err := b.Offering(ctx, m.Supplier, m.Anbieter, b.Bauantrag(1), false)
	if err != nil {
		return nil, err
	}
	m.Submitted = *o
	if o, err = b.AcceptOffering(ctx, m.Anbieter, o); err != nil {
		return nil, err
	}
	m.Offering = *o
	pm, err := b.PriceModel(ctx, m.Supplier, b.SamplePriceModel(1, schema.ZeroHash))
	if err != nil {
		return nil, err
	}
	m.PriceModel = *pm
	return m, nil
}

// Deal opens a deal of the marketplace's customer (id made unique).
func (m *Marketplace) Deal(id, parent string) *Deal {
	if parent != "" {
		parent = m.ID(parent)
	}
	return &Deal{b: m.Builder, ID: m.ID(id), Offering: m.Offering.Offering, PriceModelHash: m.PriceModel.Hash,
		Customer: m.Customer, Supplier: m.Supplier, Anbieter: m.Anbieter, Parent: parent}
}

// Deal is an agreement driven through the workflow by its parties.
type Deal struct {
	b                            *Builder
	ID, Offering, Parent         string
	PriceModelHash               string
	Customer, Supplier, Anbieter *Party
	// Agreement is the agreement as the last act left it.
	Agreement schema.Agreement
}

// NewDeal opens a deal between parties for an offering under a price model.
func (b *Builder) NewDeal(id, offering, priceModelHash, parent string, customer, supplier, anbieter *Party) *Deal {
	return &Deal{b: b, ID: id, Offering: offering, PriceModelHash: priceModelHash, Parent: parent,
		Customer: customer, Supplier: supplier, Anbieter: anbieter}
}

// Interest is the customer's expression of interest.
func (d *Deal) Interest(ctx context.Context) error {
	return d.b.Act(ctx, d.Customer, &schema.ExpressInterestMessage{Agreement: d.ID, Offering: d.Offering, Customer: d.Customer.ID,
		ParentAgreement: d.Parent, Replay: d.b.Replay()}, &d.Agreement)
}

// DefaultFees are the fees a deal enters unless told otherwise.
var DefaultFees = schema.Fees{AnnualFee: 1_000_000, ProRataFee: 100_000, ConnectionFee: 50_000, ScopeOfUse: "Bauaufsicht der Stadt Köln"}

// EnterFees has the supplier enter the next fee version.
func (d *Deal) EnterFees(ctx context.Context, fees schema.Fees) error {
	return d.b.Act(ctx, d.Supplier, d.EnterFeesMessage(fees), &d.Agreement)
}

// EnterFeesMessage is the message that enters the next fee version.
func (d *Deal) EnterFeesMessage(fees schema.Fees) *schema.EnterFeesMessage {
	return &schema.EnterFeesMessage{Agreement: d.ID, FeeVersion: d.Agreement.FeeVersion + 1,
		PriceModelHash: d.PriceModelHash, AnnualFee: fees.AnnualFee, ProRataFee: fees.ProRataFee,
		ConnectionFee: fees.ConnectionFee, ScopeOfUse: fees.ScopeOfUse, Replay: d.b.Replay()}
}

// Approve has a party (the customer or the Anbieter) approve the latest
// fee version.
func (d *Deal) Approve(ctx context.Context, p *Party) error {
	return d.b.Act(ctx, p, &schema.ApproveFeesMessage{Agreement: d.ID, Party: p.ID, FeeVersion: schema.Uint(d.Agreement.FeeVersion),
		TermsHash: d.Agreement.TermsHash, Replay: d.b.Replay()}, &d.Agreement)
}

// Order is the customer's binding order of the approved terms.
func (d *Deal) Order(ctx context.Context) error {
	return d.b.Act(ctx, d.Customer, &schema.PlaceOrderMessage{Agreement: d.ID, TermsHash: d.Agreement.TermsHash, Replay: d.b.Replay()}, &d.Agreement)
}

// Terminate has a party end the agreement at endDate (YYYY-MM-DD).
func (d *Deal) Terminate(ctx context.Context, p *Party, endDate, reason string) error {
	return d.b.Act(ctx, p, &schema.TerminateMessage{Agreement: d.ID, Party: p.ID, EndDate: endDate, Reason: reason, Replay: d.b.Replay()}, &d.Agreement)
}

// Until drives the deal from nothing to a status of the workflow:
// interest, fees (fees), both approvals, the order, a fee change of +5 % on
// the annual fee, or termination by the customer at endDate.
func (d *Deal) Until(ctx context.Context, status string, fees schema.Fees, endDate string) error {
	steps := []string{schema.AgreementInterest, schema.AgreementFeesEntered, schema.AgreementApproved,
		schema.AgreementConcluded, schema.AgreementFeeChangePending, schema.AgreementTerminated}
	for _, step := range steps {
		var err error
		switch step {
		case schema.AgreementInterest:
			err = d.Interest(ctx)
		case schema.AgreementFeesEntered:
			err = d.EnterFees(ctx, fees)
		case schema.AgreementApproved:
			if err = d.Approve(ctx, d.Customer); err == nil {
				err = d.Approve(ctx, d.Anbieter)
			}
		case schema.AgreementConcluded:
			err = d.Order(ctx)
		case schema.AgreementFeeChangePending:
			change := fees
			change.AnnualFee = fees.AnnualFee * 105 / 100 // the September fee change
			err = d.EnterFees(ctx, change)
		case schema.AgreementTerminated:
			err = d.Terminate(ctx, d.Customer, endDate, "Wechsel des Verfahrens")
		}
		if err != nil {
			return err
		}
		if step == status {
			return nil
		}
	}
	return fmt.Errorf("scenario: no agreement status %q", status)
}

// OrderFlow runs one agreement of the marketplace's customer from interest
// to the order — five signed acts: interest, fees, two approvals, the order
// — and tells observe how long each act took. The load tools measure it.
func (m *Marketplace) OrderFlow(ctx context.Context, id string, fees schema.Fees, observe func(time.Duration)) error {
	d := m.Deal(id, "")
	steps := []func(context.Context) error{
		d.Interest,
		func(ctx context.Context) error { return d.EnterFees(ctx, fees) },
		func(ctx context.Context) error { return d.Approve(ctx, d.Customer) },
		func(ctx context.Context) error { return d.Approve(ctx, d.Anbieter) },
		d.Order,
	}
	for _, step := range steps {
		began := time.Now()
		if err := step(ctx); err != nil {
			return err
		}
		observe(time.Since(began))
	}
	return nil
}
