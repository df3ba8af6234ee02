package schema_test

import (
	"math"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// prorataVersions: 1 is ordered; 2, 3 and 4 are later fee versions.
var prorataVersions = []schema.FeeVersion{
	{Agreement: "ag-1", Version: 1, Fees: schema.Fees{AnnualFee: 36500, ProRataFee: 20000, ConnectionFee: 5000}},
	{Agreement: "ag-1", Version: 2, Fees: schema.Fees{AnnualFee: 73000, ProRataFee: 40000}},
	{Agreement: "ag-1", Version: 3, Fees: schema.Fees{AnnualFee: 100000, ProRataFee: 3}},
	{Agreement: "ag-1", Version: 4, Fees: schema.Fees{AnnualFee: 1, ProRataFee: 1}},
}

func periods(p ...any) []schema.FeePeriod {
	var out []schema.FeePeriod
	for i := 0; i < len(p); i += 2 {
		out = append(out, schema.FeePeriod{FeeVersion: schema.Uint(p[i].(int)), From: p[i+1].(string)})
	}
	return out
}

func line(kind string, v int, from, to string, days, basis, fee, cents schema.Uint) schema.InvoiceLine {
	return schema.InvoiceLine{Kind: kind, FeeVersion: schema.Uint(v), From: from, To: to, Days: days, Basis: basis, Fee: fee, Cents: cents}
}

func TestInvoiceLines(t *testing.T) {
	const (
		annual = schema.LineAnnualFee
		prorat = schema.LineProRataFee
		connec = schema.LineConnectionFee
	)
	for _, tc := range []struct {
		name  string
		basis schema.InvoiceBasis
		lines []schema.InvoiceLine
	}{
		{
			name:  "a full year at one version bills the annual fee",
			basis: schema.InvoiceBasis{Year: 2027, OrderDate: "2026-03-01", Periods: periods(1, "2026-03-01")},
			lines: []schema.InvoiceLine{line(annual, 1, "2027-01-01", "2027-12-31", 365, 365, 36500, 36500)},
		},
		{
			name:  "the order's year: connection fee first, then the pro-rata fee from the order",
			basis: schema.InvoiceBasis{Year: 2026, OrderDate: "2026-03-01", Periods: periods(1, "2026-03-01")},
			lines: []schema.InvoiceLine{
				line(connec, 1, "2026-03-01", "2026-03-01", 0, 0, 5000, 5000),
				line(prorat, 1, "2026-03-01", "2026-12-31", 306, 306, 20000, 20000),
			},
		},
		{
			name:  "the order's year with a fee change: each version's pro-rata fee over the days from the order",
			basis: schema.InvoiceBasis{Year: 2026, OrderDate: "2026-03-01", Periods: periods(1, "2026-03-01", 2, "2026-07-01")},
			lines: []schema.InvoiceLine{
				line(connec, 1, "2026-03-01", "2026-03-01", 0, 0, 5000, 5000),
				line(prorat, 1, "2026-03-01", "2026-06-30", 122, 306, 20000, 7974),  // 7973.86
				line(prorat, 2, "2026-07-01", "2026-12-31", 184, 306, 40000, 24052), // 24052.29
			},
		},
		{
			name:  "no connection fee: no connection line",
			basis: schema.InvoiceBasis{Year: 2026, OrderDate: "2026-03-01", Periods: periods(2, "2026-03-01")},
			lines: []schema.InvoiceLine{line(prorat, 2, "2026-03-01", "2026-12-31", 306, 306, 40000, 40000)},
		},
		{
			name:  "an order on 31 December bills the whole pro-rata fee in one day",
			basis: schema.InvoiceBasis{Year: 2026, OrderDate: "2026-12-31", Periods: periods(1, "2026-12-31")},
			lines: []schema.InvoiceLine{
				line(connec, 1, "2026-12-31", "2026-12-31", 0, 0, 5000, 5000),
				line(prorat, 1, "2026-12-31", "2026-12-31", 1, 1, 20000, 20000),
			},
		},
		{
			name:  "half a cent rounds up, per line",
			basis: schema.InvoiceBasis{Year: 2026, OrderDate: "2026-12-30", Periods: periods(4, "2026-12-30", 3, "2026-12-31")},
			lines: []schema.InvoiceLine{
				line(prorat, 4, "2026-12-30", "2026-12-30", 1, 2, 1, 1), // 0.5
				line(prorat, 3, "2026-12-31", "2026-12-31", 1, 2, 3, 2), // 1.5
			},
		},
		{
			name:  "a termination on 1 January bills 1/365 of the annual fee",
			basis: schema.InvoiceBasis{Year: 2027, OrderDate: "2026-03-01", EndDate: "2027-01-01", Periods: periods(1, "2026-03-01")},
			lines: []schema.InvoiceLine{line(annual, 1, "2027-01-01", "2027-01-01", 1, 365, 36500, 100)},
		},
		{
			name:  "a line of zero cents is kept",
			basis: schema.InvoiceBasis{Year: 2027, OrderDate: "2026-03-01", EndDate: "2027-01-01", Periods: periods(4, "2026-03-01")},
			lines: []schema.InvoiceLine{line(annual, 4, "2027-01-01", "2027-01-01", 1, 365, 1, 0)},
		},
		{
			name:  "a leap year: a fee change in force from 29 February",
			basis: schema.InvoiceBasis{Year: 2028, OrderDate: "2026-03-01", Periods: periods(1, "2026-03-01", 2, "2028-02-29")},
			lines: []schema.InvoiceLine{
				line(annual, 1, "2028-01-01", "2028-02-28", 59, 366, 36500, 5884),   // 5883.88
				line(annual, 2, "2028-02-29", "2028-12-31", 307, 366, 73000, 61232), // 61232.24
			},
		},
		{
			name:  "a leap year: a termination on 29 February",
			basis: schema.InvoiceBasis{Year: 2028, OrderDate: "2026-03-01", EndDate: "2028-02-29", Periods: periods(1, "2026-03-01")},
			lines: []schema.InvoiceLine{line(annual, 1, "2028-01-01", "2028-02-29", 60, 366, 36500, 5984)}, // 5983.61
		},
		{
			name:  "a full leap year bills the annual fee",
			basis: schema.InvoiceBasis{Year: 2028, OrderDate: "2026-03-01", Periods: periods(1, "2026-03-01")},
			lines: []schema.InvoiceLine{line(annual, 1, "2028-01-01", "2028-12-31", 366, 366, 36500, 36500)},
		},
		{
			name: "two fee changes in one year: three lines",
			basis: schema.InvoiceBasis{Year: 2027, OrderDate: "2026-03-01",
				Periods: periods(1, "2026-03-01", 2, "2027-04-01", 3, "2027-10-01")},
			lines: []schema.InvoiceLine{
				line(annual, 1, "2027-01-01", "2027-03-31", 90, 365, 36500, 9000),
				line(annual, 2, "2027-04-01", "2027-09-30", 183, 365, 73000, 36600),
				line(annual, 3, "2027-10-01", "2027-12-31", 92, 365, 100000, 25205), // 25205.48
			},
		},
		{
			name: "periods of earlier and later years are skipped",
			basis: schema.InvoiceBasis{Year: 2028, OrderDate: "2026-03-01",
				Periods: periods(1, "2026-03-01", 2, "2027-01-01", 3, "2028-07-01", 4, "2029-01-01")},
			lines: []schema.InvoiceLine{
				line(annual, 2, "2028-01-01", "2028-06-30", 182, 366, 73000, 36301),  // 36300.55
				line(annual, 3, "2028-07-01", "2028-12-31", 184, 366, 100000, 50273), // 50273.22
			},
		},
		{
			name: "a period that begins after the termination is skipped",
			basis: schema.InvoiceBasis{Year: 2027, OrderDate: "2026-03-01", EndDate: "2027-06-30",
				Periods: periods(1, "2026-03-01", 2, "2027-07-01")},
			lines: []schema.InvoiceLine{line(annual, 1, "2027-01-01", "2027-06-30", 181, 365, 36500, 18100)},
		},
		{
			name:  "ordered and terminated in the same year",
			basis: schema.InvoiceBasis{Year: 2026, OrderDate: "2026-07-01", EndDate: "2026-09-30", Periods: periods(1, "2026-07-01")},
			lines: []schema.InvoiceLine{
				line(connec, 1, "2026-07-01", "2026-07-01", 0, 0, 5000, 5000),
				line(prorat, 1, "2026-07-01", "2026-09-30", 92, 184, 20000, 10000),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.basis
			b.FeeVersions = prorataVersions
			lines, err := schema.InvoiceLines(&b)
			require.NoError(t, err)
			require.Equal(t, tc.lines, lines)
			var days schema.Uint
			for _, l := range lines {
				days += l.Days
			}
			if b.EndDate == "" && b.OrderDate < "2027" && b.Year > 2026 {
				require.Equal(t, lines[0].Basis, days, "the lines cover the whole year")
			}
		})
	}
}

// A full year under one version bills exactly the annual fee, in leap years
// (2000, 2028) and others (2100) alike.
func TestInvoiceLinesFullYears(t *testing.T) {
	for y := schema.Uint(2000); y <= 2400; y++ {
		b := schema.InvoiceBasis{Year: y, OrderDate: "1999-05-17", Periods: periods(2, "1999-05-17"), FeeVersions: prorataVersions}
		lines, err := schema.InvoiceLines(&b)
		require.NoError(t, err)
		leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
		want := schema.Uint(365)
		if leap {
			want = 366
		}
		require.Len(t, lines, 1)
		require.Equal(t, want, lines[0].Days, "year %d", y)
		require.Equal(t, want, lines[0].Basis, "year %d", y)
		require.Equal(t, schema.Uint(73000), lines[0].Cents, "year %d", y)
	}
}

func TestInvoiceLinesRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		basis *schema.InvoiceBasis
		code  schema.Code
		field string
		rule  string
	}{
		{"a year before the order", &schema.InvoiceBasis{Year: 2025, OrderDate: "2026-03-01", Periods: periods(1, "2026-03-01")},
			schema.CodeConflict, "message.year", "not ordered by 2025-12-31"},
		{"a year after the end", &schema.InvoiceBasis{Year: 2027, OrderDate: "2026-03-01", EndDate: "2026-12-31", Periods: periods(1, "2026-03-01")},
			schema.CodeConflict, "message.year", "ended on 2026-12-31, before 2027"},
		{"no basis", nil, schema.CodeInvalid, "basis", "missing"},
		{"a year out of range", &schema.InvoiceBasis{Year: 10000, OrderDate: "2026-03-01", Periods: periods(1, "2026-03-01")},
			schema.CodeInvalid, "basis", "year"},
		{"a malformed order date", &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-3-1", Periods: periods(1, "2026-3-1")},
			schema.CodeInvalid, "basis", "orderDate"},
		{"no order date", &schema.InvoiceBasis{Year: 2026, Periods: periods(1, "2026-03-01")},
			schema.CodeInvalid, "basis", "orderDate"},
		{"an impossible end date", &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-02-01", EndDate: "2026-02-30", Periods: periods(1, "2026-02-01")},
			schema.CodeInvalid, "basis", "endDate"},
		{"an end before the order", &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-02-01", EndDate: "2026-01-31", Periods: periods(1, "2026-02-01")},
			schema.CodeInvalid, "basis", "before the order date"},
		{"no period", &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-02-01"},
			schema.CodeInvalid, "basis", "no fee period"},
		{"a first period after the order", &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-02-01", Periods: periods(1, "2026-02-02")},
			schema.CodeInvalid, "basis", "order date"},
		{"a malformed period", &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-02-01", Periods: periods(1, "2026-02-01", 2, "2026-13-01")},
			schema.CodeInvalid, "basis", "periods[1].from"},
		{"periods not ascending", &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-02-01", Periods: periods(1, "2026-02-01", 2, "2026-05-01", 3, "2026-05-01")},
			schema.CodeInvalid, "basis", "periods[2] begins on 2026-05-01, not after"},
		{"an unknown fee version", &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-02-01", Periods: periods(1, "2026-02-01", 7, "2027-05-01")},
			schema.CodeInvalid, "basis", "fee version 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.basis != nil {
				tc.basis.FeeVersions = prorataVersions
			}
			lines, err := schema.InvoiceLines(tc.basis)
			require.Nil(t, lines)
			require.ErrorIs(t, err, &schema.Error{Code: tc.code, Field: tc.field})
			require.Contains(t, err.(*schema.Error).Rule, tc.rule)
		})
	}
	dup := &schema.InvoiceBasis{Year: 2026, OrderDate: "2026-02-01", Periods: periods(1, "2026-02-01"),
		FeeVersions: append(append([]schema.FeeVersion(nil), prorataVersions...), prorataVersions[0])}
	_, err := schema.InvoiceLines(dup)
	require.ErrorIs(t, err, &schema.Error{Code: schema.CodeInvalid, Field: "basis"})
}

func TestVATOf(t *testing.T) {
	for _, tc := range []struct {
		net, rate, vat schema.Uint
	}{
		{1, 1900, 0},   // 0.19
		{3, 1900, 1},   // 0.57
		{50, 1900, 10}, // 9.5 rounds up
		{26, 1900, 5},  // 4.94
		{250, 700, 18}, // 17.5 rounds up
		{249, 700, 17}, // 17.43
		{10000, 1900, 1900},
		{0, 1900, 0},
		{12345, 0, 0},
		{12345, 10000, 12345},
		{1_000_000_000_000_000, 1900, 190_000_000_000_000},
		{math.MaxUint64, 10000, math.MaxUint64},
		{math.MaxUint64, 5000, math.MaxUint64/2 + 1}, // x.5 rounds up
		{math.MaxUint64, 20000, math.MaxUint64},      // beyond a Uint: the largest
	} {
		require.Equal(t, tc.vat, schema.VATOf(tc.net, tc.rate), "%d at %d", tc.net, tc.rate)
	}
}

func TestInvoiceHash(t *testing.T) {
	b := schema.InvoiceBasis{Year: 2027, OrderDate: "2026-03-01", Periods: periods(1, "2026-03-01", 2, "2027-04-01"), FeeVersions: prorataVersions[:2]}
	lines, err := schema.InvoiceLines(&b)
	require.NoError(t, err)
	inv := schema.Invoice{
		ID: "anb:2027-001", Number: "2027-001", Kind: schema.InvoiceCommercial, TypeCode: 380,
		Agreement: "ag-1", Offering: "xoff", Customer: "koeln", Supplier: "sup", Anbieter: "anb",
		Year: 2027, IssueDate: "2028-01-15", Currency: "EUR", Basis: b, Lines: lines,
		VATCategory: schema.VATStandard, VATRate: 1900, PriceModelVersion: 1,
	}
	for _, l := range lines {
		inv.Net += l.Cents
	}
	inv.Computed = inv.Net
	inv.VAT = schema.VATOf(inv.Net, inv.VATRate)
	inv.Total = inv.Net + inv.VAT

	h := schema.InvoiceHash(&inv)
	require.Len(t, h, 66)
	require.True(t, strings.HasPrefix(h, "0x"))
	require.Equal(t, strings.ToLower(h), h)
	require.Equal(t, h, schema.InvoiceHash(&inv), "stable")

	// Hash and Issued are not covered.
	signed := inv
	signed.Hash = h
	signed.Issued = schema.SignedAct{Type: "IssueInvoice", Message: []byte(`{"year":"2027"}`), Signature: "0xabc", TxID: "tx1"}
	require.Equal(t, h, schema.InvoiceHash(&signed))
	require.Empty(t, inv.Hash, "the invoice itself is not changed")

	// A changed line changes the hash.
	changed := inv
	changed.Lines = append([]schema.InvoiceLine(nil), inv.Lines...)
	changed.Lines[1].Cents++
	require.NotEqual(t, h, schema.InvoiceHash(&changed))
	changed = inv
	changed.Number = "2027-002"
	require.NotEqual(t, h, schema.InvoiceHash(&changed))
}
