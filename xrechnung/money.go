package xrechnung

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxCents bounds the absolute value of every amount (line, price and total) the writer accepts:
// 10^14 cents, a trillion euros. It keeps all sums far from int64 overflow.
const MaxCents int64 = 100_000_000_000_000

// Totals are the document totals (BG-22) derived from the lines in integer cents.
type Totals struct {
	LineNetCents      int64 // BT-106 sum of line net amounts
	TaxExclusiveCents int64 // BT-109 total without VAT (no document allowances or charges)
	VATCents          int64 // BT-110 total VAT, computed once on the VAT category taxable amount
	TaxInclusiveCents int64 // BT-112 total with VAT
	PayableCents      int64 // BT-115 amount due (nothing prepaid, no rounding)
}

// Totals computes the document totals from the lines and the VAT rate. It fails, naming the field,
// when an amount is outside ±MaxCents.
func (inv *Invoice) Totals() (Totals, error) {
	var t Totals
	for i, l := range inv.Lines {
		if l.NetCents > MaxCents || l.NetCents < -MaxCents {
			return Totals{}, fieldErr(fmt.Sprintf("Lines[%d].NetCents", i), ErrOutOfRange, "|%d| exceeds %d", l.NetCents, MaxCents)
		}
		t.LineNetCents += l.NetCents
		if t.LineNetCents > MaxCents || t.LineNetCents < -MaxCents {
			return Totals{}, fieldErr("Lines", ErrOutOfRange, "the sum of line net amounts exceeds %d cents", MaxCents)
		}
	}
	t.TaxExclusiveCents = t.LineNetCents
	t.VATCents = VATAmount(t.TaxExclusiveCents, inv.vatRate())
	t.TaxInclusiveCents = t.TaxExclusiveCents + t.VATCents
	t.PayableCents = t.TaxInclusiveCents
	return t, nil
}

// vatRate returns the rate that applies to the tax amount: zero for every category but S.
func (inv *Invoice) vatRate() int64 {
	if inv.VAT.Category == VATStandard {
		return inv.VAT.RateBasisPoints
	}
	return 0
}

// VATAmount returns netCents × basisPoints / 10000 rounded half away from zero (commercial
// rounding; for positive amounts "round half up").
func VATAmount(netCents, basisPoints int64) int64 {
	return roundDiv(new(big.Int).Mul(big.NewInt(netCents), big.NewInt(basisPoints)), big.NewInt(10000))
}

// LineNet returns the line net amount for a quantity in thousandths and a unit price in cents,
// quantityMilli × priceCents / 1000 rounded half away from zero. Use it to fill Line.NetCents.
func LineNet(quantityMilli, priceCents int64) int64 {
	return roundDiv(new(big.Int).Mul(big.NewInt(quantityMilli), big.NewInt(priceCents)), big.NewInt(1000))
}

// roundDiv divides n by the positive d, rounding half away from zero. The result must fit an int64.
func roundDiv(n, d *big.Int) int64 {
	neg := n.Sign() < 0
	a := new(big.Int).Abs(n)
	// (2a + d) / 2d is a/d rounded half up for non-negative a.
	q := new(big.Int).Add(new(big.Int).Lsh(a, 1), d)
	q.Quo(q, new(big.Int).Lsh(d, 1))
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

// formatCents writes cents as a decimal amount with exactly two decimals, e.g. 123450 → "1234.50".
func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign = "-"
		c = -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// formatScaled writes v/10^scale as a decimal without superfluous trailing zeros:
// formatScaled(1500, 3) == "1.5", formatScaled(1900, 2) == "19".
func formatScaled(v int64, scale int) string {
	sign := ""
	if v < 0 {
		sign = "-"
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	intPart, frac := s[:len(s)-scale], strings.TrimRight(s[len(s)-scale:], "0")
	if frac == "" {
		return sign + intPart
	}
	return sign + intPart + "." + frac
}

// formatInt writes an integer in decimal.
func formatInt(v int64) string { return strconv.FormatInt(v, 10) }
