package schema

import (
	"math"
	"math/big"
	"math/bits"
	"time"
)

// InvoiceLines computes the lines of an agreement's invoice for a year.
//
// The agreement is billed in year Y on the days from max(Y-01-01,
// OrderDate) to min(Y-12-31, EndDate), both inclusive; it is billable only
// if it was ordered by Y-12-31 and did not end before Y-01-01 (else a
// Conflict on "message.year" saying why). Each fee period (a fee version
// in force from its From to the day before the next period's From, the last
// one open-ended) is clipped to those days; a period that does not overlap
// them yields no line. Every overlapping period yields one line:
//
//   - in the order's year, LineProRataFee: Fee is the version's pro-rata
//     fee, Basis the days from the order date to 31 December inclusive;
//   - in any later year, LineAnnualFee: Fee is the version's annual fee,
//     Basis the days of Y (365, or 366 in a leap year);
//
// with Days the clipped period's days and From–To its first and last day.
// In the order's year a LineConnectionFee line bills the connection fee of
// the first period's version (the one ordered) once, From = To = the order
// date, Days = Basis = 0, Fee = Cents = the fee; it is omitted when that fee
// is 0. Lines are ordered by From, the connection fee first.
//
// Rounding: each line's Cents is Fee × Days / Basis rounded half up to the
// cent, exactly in integers. Rounding happens once per line, so a full year
// under one version bills exactly the annual fee (and an order's year under
// one version exactly the pro-rata fee), but when the version changes
// within the year the lines are not forced to sum to any annual fee. A line
// with Days > 0 and Cents 0 is kept: it documents the period.
//
// A basis whose year, dates or periods are malformed is refused (Invalid,
// "basis"): dates must be YYYY-MM-DD, the end not before the order, the
// periods non-empty, the first beginning on the order date, their first
// days strictly ascending, and every fee version a period names present
// once in FeeVersions.
func InvoiceLines(b *InvoiceBasis) ([]InvoiceLine, error) {
	if b == nil {
		return nil, Invalid("basis", "is missing")
	}
	if b.Year < MinYear || b.Year > MaxYear {
		return nil, Invalid("basis", "year must be from %d to %d", MinYear, MaxYear)
	}
	y := int(b.Year)
	order, ok := parseDay(b.OrderDate)
	if !ok {
		return nil, Invalid("basis", "orderDate must be a date YYYY-MM-DD")
	}
	end := int64(math.MaxInt64)
	if b.EndDate != "" {
		if end, ok = parseDay(b.EndDate); !ok {
			return nil, Invalid("basis", "endDate must be a date YYYY-MM-DD or empty")
		}
		if end < order {
			return nil, Invalid("basis", "endDate %s lies before the order date %s", b.EndDate, b.OrderDate)
		}
	}
	if len(b.Periods) == 0 {
		return nil, Invalid("basis", "names no fee period")
	}
	versions := make(map[Uint]*Fees, len(b.FeeVersions))
	for i := range b.FeeVersions {
		v := &b.FeeVersions[i]
		if _, dup := versions[v.Version]; dup {
			return nil, Invalid("basis", "feeVersions holds fee version %d more than once", v.Version)
		}
		versions[v.Version] = &v.Fees
	}
	starts := make([]int64, len(b.Periods))
	for i, p := range b.Periods {
		d, ok := parseDay(p.From)
		if !ok {
			return nil, Invalid("basis", "periods[%d].from must be a date YYYY-MM-DD", i)
		}
		switch {
		case i == 0 && d != order:
			return nil, Invalid("basis", "the first period begins on %s, not on the order date %s", p.From, b.OrderDate)
		case i > 0 && d <= starts[i-1]:
			return nil, Invalid("basis", "periods[%d] begins on %s, not after the period before it (%s)", i, p.From, b.Periods[i-1].From)
		case versions[p.FeeVersion] == nil:
			return nil, Invalid("basis", "periods[%d] names fee version %d, which feeVersions does not hold", i, p.FeeVersion)
		}
		starts[i] = d
	}

	jan1, dec31 := dayOf(y, time.January, 1), dayOf(y, time.December, 31)
	switch {
	case order > dec31:
		return nil, Conflict("message.year", "the agreement was not ordered by %d-12-31: it was ordered on %s", y, b.OrderDate)
	case end < jan1:
		return nil, Conflict("message.year", "the agreement ended on %s, before %d", b.EndDate, y)
	}
	from, to := max(jan1, order), min(dec31, end)
	orderYear := order >= jan1

	var lines []InvoiceLine
	if orderYear {
		if fee := versions[b.Periods[0].FeeVersion].ConnectionFee; fee > 0 {
			lines = append(lines, InvoiceLine{
				Kind: LineConnectionFee, FeeVersion: b.Periods[0].FeeVersion,
				From: b.OrderDate, To: b.OrderDate, Fee: fee, Cents: fee,
			})
		}
	}
	for i, p := range b.Periods {
		first, last := starts[i], int64(math.MaxInt64)
		if i+1 < len(starts) {
			last = starts[i+1] - 1
		}
		first, last = max(first, from), min(last, to)
		if first > last {
			continue
		}
		fees := versions[p.FeeVersion]
		line := InvoiceLine{
			Kind: LineAnnualFee, FeeVersion: p.FeeVersion,
			From: formatDay(first), To: formatDay(last), Days: Uint(last - first + 1),
			Basis: Uint(dec31 - jan1 + 1), Fee: fees.AnnualFee,
		}
		if orderYear {
			line.Kind, line.Basis, line.Fee = LineProRataFee, Uint(dec31-order+1), fees.ProRataFee
		}
		line.Cents = proRata(line.Fee, line.Days, line.Basis)
		lines = append(lines, line)
	}
	return lines, nil
}

// proRata is fee × days / basis rounded half up, for days ≤ basis, without
// overflow.
func proRata(fee, days, basis Uint) Uint {
	hi, lo := bits.Mul64(uint64(fee), uint64(days))
	q, r := bits.Div64(hi, lo, uint64(basis)) // hi < basis since days ≤ basis
	if r >= uint64(basis)-r {                 // 2r ≥ basis: half up
		q++
	}
	return Uint(q)
}

// VATOf is the VAT on a net amount at a rate in basis points: net × rate /
// 10000, rounded half up to the cent, in exact integer arithmetic. A rate
// above 10000 whose VAT would not fit a Uint yields the largest Uint (a
// price model's rate is at most 10000, which never overflows).
func VATOf(net, rate Uint) Uint {
	hi, lo := bits.Mul64(uint64(net), uint64(rate))
	if hi < 10000 {
		q, r := bits.Div64(hi, lo, 10000)
		if r >= 5000 {
			if q == math.MaxUint64 {
				return Uint(q)
			}
			q++
		}
		return Uint(q)
	}
	v := new(big.Int).Mul(new(big.Int).SetUint64(uint64(net)), new(big.Int).SetUint64(uint64(rate)))
	v.Add(v, big.NewInt(5000))
	v.Quo(v, big.NewInt(10000))
	if !v.IsUint64() {
		return math.MaxUint64
	}
	return Uint(v.Uint64())
}

// InvoiceHash is the hash of an invoice's content (everything but Hash and
// Issued): "0x" and the keccak256, in lower-case hex, of the encoding/json
// encoding (json.Marshal, deterministic) of a copy of the invoice whose Hash
// is "" and Issued the zero SignedAct. It is "" only if the invoice cannot be
// encoded: a fee version's signed act holding a message that is not JSON.
func InvoiceHash(inv *Invoice) string {
	cp := *inv
	cp.Hash, cp.Issued = "", SignedAct{}
	return jsonKeccak(&cp)
}

// parseDay reads a date YYYY-MM-DD as days since 1970-01-01 (UTC; a
// midnight's Unix time is a multiple of 86400, so the division is exact).
func parseDay(s string) (int64, bool) {
	if len(s) != len(time.DateOnly) {
		return 0, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return t.Unix() / 86400, true
}

// dayOf is a calendar date as days since 1970-01-01 (UTC).
func dayOf(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// formatDay writes days since 1970-01-01 as YYYY-MM-DD.
func formatDay(d int64) string {
	return time.Unix(d*86400, 0).UTC().Format(time.DateOnly)
}
