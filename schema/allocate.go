package schema

import (
	"encoding/hex"
	"encoding/json"
	"math/big"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

// AllocationRule states, in words, how Allocate splits a pool; every
// allocation carries it.
const AllocationRule = "The chargeable part of the pool (the whole pool, or for an EfA-financed service the pool less its central half rounded down) " +
	"is split over the agreements in force in the year, ordered by agreement id. " +
	"Each weighted distribution key k (inhabitants, cases, target group, Königsteiner) with weight w_k in basis points (the weights sum to 10000) " +
	"gives agreement i the figure x_ik; under the Königsteiner key x_ik is the share of the customer's Land divided equally among the agreements " +
	"of customers in that Land, so that each Land counts once. " +
	"Agreement i's exact share is chargeable × Σ_k (w_k / 10000) × (x_ik / Σ_j x_jk), computed as an exact fraction of cents. " +
	"Each share is rounded down to the cent; the cents left over (fewer than the number of agreements) go one each to the agreements " +
	"with the largest fractional parts, ties going to the smaller agreement id. " +
	"The shares sum exactly to the chargeable amount, and each is less than one cent from its exact share. " +
	"An agreement without a figure for a weighted key, or a weighted key whose figures sum to zero, makes the allocation impossible."

// allocationKey is a distribution key as Allocate weighs it.
type allocationKey struct {
	kind   string // the figure kind, as errors name it
	weight Uint
	figure func(*AllocationInput) *FigureValue
}

// Allocate splits the chargeable part of a programmed price model's annual
// cost pool over the agreements in force in a year (inputs, one per
// agreement, in any order), by the price model's distribution key, as
// AllocationRule states.
//
// The inputs are sorted by agreement id (byte order), so the result never
// depends on their order; the result's Inputs (deep copies) and Shares are
// in that order. Each share's Exact is the exact share in cents as big.Rat
// writes it: "numerator/denominator" in lowest terms, always with a
// denominator, so an integer share of 5 cents is "5/1" and a zero share is
// "0/1". The result's Hash is its AllocationHash.
//
// Refusals: a price model that is not programmed or whose four weights do
// not sum to 10000 (Invalid, "priceModel"); no inputs (Conflict, "year": no
// agreement in force); an agreement named twice, or two agreements of one
// Land with different Königsteiner figures while that key is weighted
// (Invalid, "inputs"); an agreement without the figure of a weighted key,
// or a weighted key whose figures sum to zero (Conflict, "year").
func Allocate(offering string, year, priceModelVersion Uint, priceModelHash string, pm *PriceModelContent, inputs []AllocationInput) (*Allocation, error) {
	if pm == nil || !pm.Programmed() {
		return nil, Invalid("priceModel", "price model version %d carries no cost pool: only a programmed price model is allocated", priceModelVersion)
	}
	if w := min(uint64(pm.WeightInhabitants), 10001) + min(uint64(pm.WeightCases), 10001) +
		min(uint64(pm.WeightTargetGroup), 10001) + min(uint64(pm.WeightKoenigsteiner), 10001); w != 10000 { // no wrap-around
		return nil, Invalid("priceModel", "the weights of price model version %d sum to %d basis points, not 10000", priceModelVersion, w)
	}
	if len(inputs) == 0 {
		return nil, Conflict("year", "no agreement of offering %s is in force in %d: there is nothing to allocate to", offering, year)
	}

	in := make([]AllocationInput, len(inputs))
	for i, x := range inputs {
		in[i] = copyInput(x)
	}
	slices.SortFunc(in, func(a, b AllocationInput) int { return strings.Compare(a.Agreement, b.Agreement) })
	for i := 1; i < len(in); i++ {
		if in[i].Agreement == in[i-1].Agreement {
			return nil, Invalid("inputs", "names agreement %s more than once", in[i].Agreement)
		}
	}

	keys := []allocationKey{
		{FigureInhabitants, pm.WeightInhabitants, func(a *AllocationInput) *FigureValue { return a.Inhabitants }},
		{FigureCases, pm.WeightCases, func(a *AllocationInput) *FigureValue { return a.Cases }},
		{FigureTargetGroup, pm.WeightTargetGroup, func(a *AllocationInput) *FigureValue { return a.TargetGroup }},
		{FigureKoenigsteiner, pm.WeightKoenigsteiner, func(a *AllocationInput) *FigureValue { return a.Koenigsteiner }},
	}
	n := len(in)
	chargeable := pm.Chargeable()

	// Under each weighted key k, agreement i weighs y[i]/Y with integers
	// y[i] ≥ 0 and Y = Σ y[i] > 0: its figure over the key's total. Under the
	// Königsteiner key x_ik = K_i / n_i (n_i agreements in i's Land) is made
	// an integer by the common multiple L of the n_i: y[i] = K_i × L / n_i.
	type weighted struct {
		w     Uint
		y     []*big.Int
		total *big.Int
	}
	var used []weighted
	for _, k := range keys {
		if k.weight == 0 {
			continue
		}
		for i := range in {
			if k.figure(&in[i]) == nil {
				return nil, Conflict("year", "agreement %s has no %s figure for %d", in[i].Agreement, k.kind, year)
			}
		}
		y := make([]*big.Int, n)
		for i := range in {
			y[i] = new(big.Int).SetUint64(uint64(k.figure(&in[i]).Value))
		}
		if k.kind == FigureKoenigsteiner {
			perLand := map[string]int64{}
			first := map[string]int{}
			for i := range in {
				land := in[i].Land
				if j, ok := first[land]; !ok {
					first[land] = i
				} else if *in[j].Koenigsteiner != *in[i].Koenigsteiner {
					return nil, Invalid("inputs", "agreements %s and %s of Land %s carry different Königsteiner figures", in[j].Agreement, in[i].Agreement, land)
				}
				perLand[land]++
			}
			// L, the least common multiple of the agreements per Land, in
			// the order of the sorted inputs (the result does not depend on
			// it, but the work stays deterministic).
			l := big.NewInt(1)
			g := new(big.Int)
			for i := range in {
				if first[in[i].Land] != i {
					continue
				}
				c := big.NewInt(perLand[in[i].Land])
				g.GCD(nil, nil, l, c)
				l.Mul(l, c.Quo(c, g))
			}
			m := new(big.Int)
			for i := range in {
				y[i].Mul(y[i], m.Quo(l, big.NewInt(perLand[in[i].Land])))
			}
		}
		total := new(big.Int)
		for _, v := range y {
			total.Add(total, v)
		}
		if total.Sign() == 0 {
			return nil, Conflict("year", "the %s figures of the agreements sum to zero for %d: there is no basis to split by", k.kind, year)
		}
		used = append(used, weighted{k.weight, y, total})
	}

	// Over the common denominator D = 10000 × Π_k Y_k, agreement i's exact
	// share is num_i / D with num_i = Σ_k y_ik × C × w_k × Π_{j≠k} Y_j.
	den := big.NewInt(10000)
	for _, u := range used {
		den.Mul(den, u.total)
	}
	num := make([]*big.Int, n)
	for i := range num {
		num[i] = new(big.Int)
	}
	term := new(big.Int)
	for j, u := range used {
		p := new(big.Int).SetUint64(uint64(chargeable))
		p.Mul(p, big.NewInt(int64(u.w)))
		for h, o := range used {
			if h != j {
				p.Mul(p, o.total)
			}
		}
		for i, v := range u.y {
			num[i].Add(num[i], term.Mul(p, v))
		}
	}

	// Round once: floor every share, then hand out the remaining cents by
	// largest fractional part, ties by agreement id (the sorted order).
	cents := make([]Uint, n)
	rem := make([]*big.Int, n)
	var floors uint64
	q := new(big.Int)
	for i := range num {
		rem[i] = new(big.Int)
		q.QuoRem(num[i], den, rem[i]) // shares are never negative: truncation is the floor
		cents[i] = Uint(q.Uint64())
		floors += q.Uint64()
	}
	rest := uint64(chargeable) - floors
	if floors > uint64(chargeable) || rest >= uint64(n) {
		// Unreachable: the exact shares sum to the chargeable amount.
		return nil, Invalid("priceModel", "internal error: the shares do not sum to the chargeable amount")
	}
	if rest > 0 {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int {
			if c := rem[b].Cmp(rem[a]); c != 0 {
				return c
			}
			return a - b
		})
		for _, i := range order[:rest] {
			cents[i]++
		}
	}

	exact := new(big.Rat)
	shares := make([]AllocationShare, n)
	for i := range in {
		shares[i] = AllocationShare{Agreement: in[i].Agreement, Cents: cents[i], Exact: exact.SetFrac(num[i], den).String()}
	}
	a := &Allocation{
		Offering:            offering,
		Year:                year,
		PriceModelVersion:   priceModelVersion,
		PriceModelHash:      priceModelHash,
		Pool:                pm.Pool(),
		Central:             pm.Pool() - chargeable,
		Chargeable:          chargeable,
		DistributionKey:     pm.DistributionKey,
		WeightInhabitants:   pm.WeightInhabitants,
		WeightCases:         pm.WeightCases,
		WeightTargetGroup:   pm.WeightTargetGroup,
		WeightKoenigsteiner: pm.WeightKoenigsteiner,
		Rule:                AllocationRule,
		Inputs:              in,
		Shares:              shares,
	}
	a.Hash = AllocationHash(a)
	return a, nil
}

// copyInput copies an input and the figures it points to.
func copyInput(x AllocationInput) AllocationInput {
	cp := func(f *FigureValue) *FigureValue {
		if f == nil {
			return nil
		}
		v := *f
		return &v
	}
	x.Inhabitants, x.Cases, x.TargetGroup, x.Koenigsteiner = cp(x.Inhabitants), cp(x.Cases), cp(x.TargetGroup), cp(x.Koenigsteiner)
	return x
}

// AllocationHash is the hash of an allocation's content (everything but
// Hash itself): "0x" and the keccak256, in lower-case hex, of the
// encoding/json encoding (json.Marshal, fields in declaration order, Uint
// as decimal strings) of a copy of the allocation whose Hash is "". The
// encoding is deterministic, so anyone holding the allocation recomputes
// the hash; an allocation cannot fail to encode.
func AllocationHash(a *Allocation) string {
	cp := *a
	cp.Hash = ""
	return jsonKeccak(&cp)
}

// jsonKeccak is "0x" and the lower-case hex keccak256 of v's JSON encoding,
// or "" if v cannot be encoded.
func jsonKeccak(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return "0x" + hex.EncodeToString(crypto.Keccak256(b))
}
