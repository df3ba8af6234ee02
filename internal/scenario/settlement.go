package scenario

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/efa-marktplatz/registry/schema"
)

// Settlement: reference figures, usage reports, the allocation of a
// programmed price model's cost pool, the fee adjustment, and invoices.

// ProgrammedPriceModel is a price-model version of the building permit that
// carries a cost pool (SAMPLE FIGURES) split by the key, with VAT treatment
// vat (schema.VATNotSubject: not subject to VAT; schema.VATStandard at 19 %).
func (b *Builder) ProgrammedPriceModel(version uint64, predecessor, key string, efaFinanced bool, vat string) *schema.PublishPriceModelMessage {
	m := b.SamplePriceModel(version, predecessor)
	c := &m.PriceModelContent
	c.DistributionKey = key
	c.WeightInhabitants, c.WeightCases, c.WeightTargetGroup, c.WeightKoenigsteiner = 0, 0, 0, 0
	switch key {
	case schema.KeyInhabitants:
		c.WeightInhabitants = 10000
	case schema.KeyCases:
		c.WeightCases = 10000
	case schema.KeyTargetGroup:
		c.WeightTargetGroup, c.TargetGroup = 10000, "Bauherren"
	case schema.KeyKoenigsteiner:
		c.WeightKoenigsteiner = 10000
	default:
		c.DistributionKey, c.WeightInhabitants, c.WeightCases = schema.KeyCombination, 6000, 4000
	}
	c.CostInfrastructure, c.CostDevelopment, c.CostPlatform, c.CostOperation, c.CostUsage = 1_200_000, 3_400_000, 150_000, 2_100_000, 50_001
	c.EfaFinanced = efaFinanced
	c.VATCategory, c.VATRate, c.VATExemption = vat, 0, ""
	if vat == schema.VATStandard {
		c.VATRate = 1900
	} else {
		c.VATExemption = NotSubjectToVAT
	}
	return m
}

// RecordFigures records a batch of figures on a member's authority.
func (b *Builder) RecordFigures(ctx context.Context, member string, batch schema.FigureBatch) ([]schema.Figure, error) {
	raw, err := b.r.RecordFigures(ctx, member, batch)
	if err != nil {
		return nil, fmt.Errorf("scenario: figures %s %d: %w", batch.Kind, batch.Year, err)
	}
	var out []schema.Figure
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("scenario: figures: %w", err)
	}
	return out, nil
}

// SetPartyDetails records what invoices need of a party.
func (b *Builder) SetPartyDetails(ctx context.Context, p *Party, d schema.PartyDetails) error {
	if _, err := b.r.SetPartyDetails(ctx, p.Member, p.ID, d); err != nil {
		return fmt.Errorf("scenario: details of %s: %w", p.ID, err)
	}
	return nil
}

// ReportUsage has the supplier report the deal's cases in a year (replaces:
// the version it corrects, 0 for the first report).
func (d *Deal) ReportUsage(ctx context.Context, year, cases, replaces schema.Uint) (*schema.Figure, error) {
	var f schema.Figure
	err := d.b.Act(ctx, d.Supplier, &schema.ReportUsageMessage{Agreement: d.ID, Year: year, Cases: cases, Replaces: replaces, Replay: d.b.Replay()}, &f)
	return &f, err
}

// Invoice has the Anbieter issue the deal's invoice for a year.
func (d *Deal) Invoice(ctx context.Context, year schema.Uint, number string) (*schema.Invoice, error) {
	var inv schema.Invoice
	err := d.b.Act(ctx, d.Anbieter, &schema.IssueInvoiceMessage{Agreement: d.ID, Anbieter: d.Anbieter.ID, Year: year, Number: number, Replay: d.b.Replay()}, &inv)
	return &inv, err
}

// PublishAllocation has the supplier publish an allocation it computed
// (version: the next of the offering and year).
func (b *Builder) PublishAllocation(ctx context.Context, supplier *Party, a *schema.Allocation, version schema.Uint) (*schema.PublishedAllocation, error) {
	var out schema.PublishedAllocation
	err := b.Act(ctx, supplier, &schema.PublishAllocationMessage{Offering: a.Offering, Year: a.Year, Version: version,
		PriceModelHash: a.PriceModelHash, AllocationHash: a.Hash, Replay: b.Replay()}, &out)
	return &out, err
}

// AdjustFees has the supplier set the annual fees of the agreements to
// their shares in a published allocation, chunk agreements at a time.
func (b *Builder) AdjustFees(ctx context.Context, supplier *Party, a *schema.PublishedAllocation, chunk int) ([]schema.FeeVersion, error) {
	var out []schema.FeeVersion
	for start := 0; start < len(a.Shares); start += chunk {
		shares := a.Shares[start:min(start+chunk, len(a.Shares))]
		m := &schema.AdjustFeesMessage{Offering: a.Offering, Year: a.Year, AllocationVersion: a.Version, Replay: b.Replay()}
		for _, s := range shares {
			m.Agreements = append(m.Agreements, s.Agreement)
			m.AnnualFees = append(m.AnnualFees, s.Cents)
		}
		var adj schema.FeeAdjustment
		if err := b.Act(ctx, supplier, m, &adj); err != nil {
			return nil, err
		}
		out = append(out, adj.FeeVersions...)
	}
	return out, nil
}

// AnbieterDetails are SAMPLE details of an Anbieter that issues invoices:
// an address, a contact, an e-mail address for e-invoices, a tax number and
// a bank account.
func AnbieterDetails() schema.PartyDetails {
	return schema.PartyDetails{Street: "Musterstraße 1 (SAMPLE)", PostalCode: "10117", City: "Berlin", Country: "DE",
		ContactName: "Rechnungsstelle (SAMPLE)", ContactPhone: "+49 30 1234567", ContactEmail: "rechnung@anbieter.example",
		ElectronicAddress: "rechnung@anbieter.example", ElectronicAddressScheme: "EM",
		TaxNumber: "30/123/45678", VATID: "DE123456789", IBAN: "DE02120300000000202051", BIC: "BYLADEM1001"}
}

// CustomerDetails are SAMPLE details of a customer: its town hall's address
// and its Leitweg-ID as the electronic address.
func CustomerDetails(leitwegID, postalCode, city string) schema.PartyDetails {
	return schema.PartyDetails{Street: "Rathausplatz 1 (SAMPLE)", PostalCode: postalCode, City: city, Country: "DE",
		ElectronicAddress: leitwegID, ElectronicAddressScheme: "0204"}
}
