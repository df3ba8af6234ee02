package schema_test

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

const allocTestHash = "0x1111111111111111111111111111111111111111111111111111111111111111"

// allocPriceModel is a programmed price model with the pool in
// infrastructure costs and the weights given.
func allocPriceModel(pool schema.Uint, efa bool, key string, wInh, wCases, wTG, wKoe schema.Uint) *schema.PriceModelContent {
	return &schema.PriceModelContent{
		Offering: "xoff", Version: 1, DistributionKey: key,
		WeightInhabitants: wInh, WeightCases: wCases, WeightTargetGroup: wTG, WeightKoenigsteiner: wKoe,
		CostInfrastructure: pool, EfaFinanced: efa,
	}
}

func fv(v schema.Uint) *schema.FigureValue { return &schema.FigureValue{Value: v, Version: 1} }

// allocCase is a generated allocation problem.
type allocCase struct {
	pm     *schema.PriceModelContent
	inputs []schema.AllocationInput
}

// genAllocCase generates a problem with n agreements: a random pool split
// over the five cost types, a random single key or combination, random
// figures with some zeros (never a whole key of zeros), random Länder with
// one Königsteiner table.
func genAllocCase(r *rand.Rand, n int) allocCase {
	pool := schema.Uint(1 + r.Uint64N(1_000_000_000))
	var costs [5]schema.Uint
	left := pool
	for i := range 4 {
		costs[i] = schema.Uint(r.Uint64N(uint64(left) + 1))
		left -= costs[i]
	}
	costs[4] = left
	var w [4]schema.Uint // inhabitants, cases, target group, Königsteiner
	key := schema.DistributionKeys[r.IntN(len(schema.DistributionKeys))]
	if key == schema.KeyCombination {
		used := r.Perm(4)[:2+r.IntN(3)]
		// cut 10000 into len(used) positive parts
		cuts := map[int]bool{}
		for len(cuts) < len(used)-1 {
			cuts[1+r.IntN(9999)] = true
		}
		points := []int{0, 10000}
		for c := range cuts {
			points = append(points, c)
		}
		slices.Sort(points)
		for j, k := range used {
			w[k] = schema.Uint(points[j+1] - points[j])
		}
	} else {
		w[map[string]int{schema.KeyInhabitants: 0, schema.KeyCases: 1, schema.KeyTargetGroup: 2, schema.KeyKoenigsteiner: 3}[key]] = 10000
	}
	pm := &schema.PriceModelContent{
		Offering: "xoff", Version: 1, DistributionKey: key,
		WeightInhabitants: w[0], WeightCases: w[1], WeightTargetGroup: w[2], WeightKoenigsteiner: w[3],
		CostInfrastructure: costs[0], CostDevelopment: costs[1], CostPlatform: costs[2], CostOperation: costs[3], CostUsage: costs[4],
		EfaFinanced: r.IntN(2) == 0,
	}
	// a Königsteiner table (some Länder at zero share)
	var table [16]schema.Uint
	for l := range table {
		if r.IntN(5) > 0 {
			table[l] = schema.Uint(r.Uint64N(uint64(schema.KoenigsteinerTotal) / 8))
		}
	}
	lands := 1 + r.IntN(16) // few Länder: several agreements per Land
	figure := func(max uint64) *schema.FigureValue {
		if r.IntN(6) == 0 {
			return fv(0)
		}
		return fv(schema.Uint(r.Uint64N(max + 1)))
	}
	inputs := make([]schema.AllocationInput, n)
	for i, id := range r.Perm(n) {
		l := r.IntN(lands)
		in := schema.AllocationInput{
			Agreement: fmt.Sprintf("ag-%05d", id), Customer: fmt.Sprintf("cust-%05d", id), Land: fmt.Sprintf("%02d", l+1),
			Inhabitants: figure(3_000_000), Cases: figure(uint64(schema.MaxFigure)), TargetGroup: figure(50_000),
			Koenigsteiner: &schema.FigureValue{Value: table[l], Version: 2},
		}
		if r.IntN(4) == 0 { // figures of unweighted keys may be absent
			for k, p := range []**schema.FigureValue{&in.Inhabitants, &in.Cases, &in.TargetGroup, &in.Koenigsteiner} {
				if w[k] == 0 {
					*p = nil
				}
			}
		}
		inputs[i] = in
	}
	// never a weighted key of zeros
	for _, p := range []*schema.FigureValue{inputs[0].Inhabitants, inputs[0].Cases, inputs[0].TargetGroup} {
		if p != nil && p.Value == 0 {
			p.Value = 1
		}
	}
	if inputs[0].Koenigsteiner != nil && inputs[0].Koenigsteiner.Value == 0 {
		for i := range inputs {
			if inputs[i].Land == inputs[0].Land && inputs[i].Koenigsteiner != nil {
				inputs[i].Koenigsteiner.Value = 1
			}
		}
	}
	return allocCase{pm: pm, inputs: inputs}
}

// checkAllocation checks the invariants of an allocation of a case.
func checkAllocation(t *testing.T, c allocCase, a *schema.Allocation) {
	t.Helper()
	require.Equal(t, c.pm.Pool(), a.Pool)
	require.Equal(t, c.pm.Chargeable(), a.Chargeable)
	require.Equal(t, a.Pool, a.Central+a.Chargeable)
	if c.pm.EfaFinanced {
		require.Equal(t, a.Pool/2, a.Central)
	} else {
		require.Zero(t, a.Central)
	}
	require.Equal(t, schema.AllocationRule, a.Rule)
	require.Len(t, a.Inputs, len(c.inputs))
	require.Len(t, a.Shares, len(c.inputs))
	var sum schema.Uint
	exactSum := new(big.Rat)
	for i, s := range a.Shares {
		require.Equal(t, a.Inputs[i].Agreement, s.Agreement)
		if i > 0 {
			require.Less(t, a.Shares[i-1].Agreement, s.Agreement, "shares ordered by agreement id")
		}
		sum += s.Cents
		exact, ok := new(big.Rat).SetString(s.Exact)
		require.True(t, ok, "exact share %q", s.Exact)
		require.Equal(t, exact.String(), s.Exact, "lowest terms")
		require.GreaterOrEqual(t, exact.Sign(), 0)
		exactSum.Add(exactSum, exact)
		diff := new(big.Rat).Sub(new(big.Rat).SetUint64(uint64(s.Cents)), exact)
		require.Negative(t, new(big.Rat).Abs(diff).Cmp(big.NewRat(1, 1)), "agreement %s: %d cents vs exact %s", s.Agreement, s.Cents, s.Exact)
	}
	require.Equal(t, a.Chargeable, sum)
	require.Zero(t, exactSum.Cmp(new(big.Rat).SetUint64(uint64(a.Chargeable))), "exact shares sum to the chargeable amount")
	require.Equal(t, schema.AllocationHash(a), a.Hash)
	require.True(t, strings.HasPrefix(a.Hash, "0x") && len(a.Hash) == 66 && strings.ToLower(a.Hash) == a.Hash)
}

func TestAllocateProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(20260101, 42))
	sizes := []int{}
	for range 300 {
		sizes = append(sizes, 1+r.IntN(20))
	}
	for range 60 {
		sizes = append(sizes, 1+r.IntN(1000))
	}
	sizes = append(sizes, 10_000, 10_000)
	for i, n := range sizes {
		c := genAllocCase(r, n)
		t.Run(fmt.Sprintf("%d-%s-%d", i, c.pm.DistributionKey, n), func(t *testing.T) {
			a, err := schema.Allocate("xoff", 2026, 1, allocTestHash, c.pm, c.inputs)
			require.NoError(t, err)
			checkAllocation(t, c, a)

			again, err := schema.Allocate("xoff", 2026, 1, allocTestHash, c.pm, c.inputs)
			require.NoError(t, err)
			require.Equal(t, a, again, "determinism")

			shuffled := append([]schema.AllocationInput(nil), c.inputs...)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			b, err := schema.Allocate("xoff", 2026, 1, allocTestHash, c.pm, shuffled)
			require.NoError(t, err)
			require.Equal(t, a, b, "independent of input order")
			require.Equal(t, a.Hash, b.Hash)

			// a single cent moved changes the hash
			changed := *a
			changed.Shares = append([]schema.AllocationShare(nil), a.Shares...)
			changed.Shares[r.IntN(n)].Cents++
			require.NotEqual(t, a.Hash, schema.AllocationHash(&changed))
		})
	}
}

// The inputs the caller passes are not changed, and the result does not
// alias them.
func TestAllocateCopiesInputs(t *testing.T) {
	in := []schema.AllocationInput{
		{Agreement: "b", Inhabitants: fv(1)},
		{Agreement: "a", Inhabitants: fv(2)},
	}
	a, err := schema.Allocate("xoff", 2026, 1, allocTestHash, allocPriceModel(300, false, schema.KeyInhabitants, 10000, 0, 0, 0), in)
	require.NoError(t, err)
	require.Equal(t, "b", in[0].Agreement)
	in[1].Inhabitants.Value = 99
	require.Equal(t, schema.Uint(2), a.Inputs[0].Inhabitants.Value)
	require.Equal(t, []schema.AllocationShare{{Agreement: "a", Cents: 200, Exact: "200/1"}, {Agreement: "b", Cents: 100, Exact: "100/1"}}, a.Shares)
}

func TestAllocateExamples(t *testing.T) {
	equal := func(ids ...string) []schema.AllocationInput {
		var in []schema.AllocationInput
		for _, id := range ids {
			in = append(in, schema.AllocationInput{Agreement: id, Inhabitants: fv(1000)})
		}
		return in
	}
	koe := func(id, land string, share schema.Uint) schema.AllocationInput {
		return schema.AllocationInput{Agreement: id, Land: land, Koenigsteiner: &schema.FigureValue{Value: share, Version: 3}}
	}
	for _, tc := range []struct {
		name       string
		pm         *schema.PriceModelContent
		inputs     []schema.AllocationInput
		central    schema.Uint
		chargeable schema.Uint
		shares     []schema.AllocationShare
	}{
		{
			name:       "100 cents over three equal agreements: the odd cent to the smallest id",
			pm:         allocPriceModel(100, false, schema.KeyInhabitants, 10000, 0, 0, 0),
			inputs:     equal("c-three", "a-one", "b-two"),
			chargeable: 100,
			shares: []schema.AllocationShare{
				{Agreement: "a-one", Cents: 34, Exact: "100/3"},
				{Agreement: "b-two", Cents: 33, Exact: "100/3"},
				{Agreement: "c-three", Cents: 33, Exact: "100/3"},
			},
		},
		{
			name:       "EfA-financed odd pool: central 50, chargeable 51",
			pm:         allocPriceModel(101, true, schema.KeyInhabitants, 10000, 0, 0, 0),
			inputs:     equal("y", "x"),
			central:    50,
			chargeable: 51,
			shares: []schema.AllocationShare{
				{Agreement: "x", Cents: 26, Exact: "51/2"},
				{Agreement: "y", Cents: 25, Exact: "51/2"},
			},
		},
		{
			name:       "a single agreement takes the whole chargeable pool",
			pm:         allocPriceModel(12345, false, schema.KeyCases, 0, 10000, 0, 0),
			inputs:     []schema.AllocationInput{{Agreement: "only", Cases: fv(7)}},
			chargeable: 12345,
			shares:     []schema.AllocationShare{{Agreement: "only", Cents: 12345, Exact: "12345/1"}},
		},
		{
			name: "Königsteiner: two customers in one Land share its share",
			pm:   allocPriceModel(1000, false, schema.KeyKoenigsteiner, 0, 0, 0, 10000),
			inputs: []schema.AllocationInput{
				koe("c-muenchen", "09", 1_000_000), koe("a-koeln", "05", 3_000_000), koe("b-bonn", "05", 3_000_000),
			},
			chargeable: 1000,
			shares: []schema.AllocationShare{
				{Agreement: "a-koeln", Cents: 375, Exact: "375/1"},
				{Agreement: "b-bonn", Cents: 375, Exact: "375/1"},
				{Agreement: "c-muenchen", Cents: 250, Exact: "250/1"},
			},
		},
		{
			name: "Königsteiner: three customers in one Land, rounding by largest remainder",
			pm:   allocPriceModel(100, false, schema.KeyKoenigsteiner, 0, 0, 0, 10000),
			inputs: []schema.AllocationInput{
				koe("d", "09", 1_000_000), koe("a", "05", 1_000_000), koe("b", "05", 1_000_000), koe("c", "05", 1_000_000),
			},
			chargeable: 100,
			// Land 05 gets 50, a third each (16 2/3); Land 09 gets 50.
			shares: []schema.AllocationShare{
				{Agreement: "a", Cents: 17, Exact: "50/3"},
				{Agreement: "b", Cents: 17, Exact: "50/3"},
				{Agreement: "c", Cents: 16, Exact: "50/3"},
				{Agreement: "d", Cents: 50, Exact: "50/1"},
			},
		},
		{
			name: "combination 50 % inhabitants, 50 % cases: a half-cent tie to the smaller id",
			pm:   allocPriceModel(100, false, schema.KeyCombination, 5000, 5000, 0, 0),
			inputs: []schema.AllocationInput{
				{Agreement: "b", Inhabitants: fv(3), Cases: fv(1)},
				{Agreement: "a", Inhabitants: fv(1), Cases: fv(1)},
			},
			chargeable: 100,
			shares: []schema.AllocationShare{
				{Agreement: "a", Cents: 38, Exact: "75/2"},
				{Agreement: "b", Cents: 62, Exact: "125/2"},
			},
		},
		{
			name: "a zero figure gets nothing",
			pm:   allocPriceModel(10, false, schema.KeyTargetGroup, 0, 0, 10000, 0),
			inputs: []schema.AllocationInput{
				{Agreement: "a", TargetGroup: fv(0)}, {Agreement: "b", TargetGroup: fv(5)},
			},
			chargeable: 10,
			shares: []schema.AllocationShare{
				{Agreement: "a", Cents: 0, Exact: "0/1"},
				{Agreement: "b", Cents: 10, Exact: "10/1"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := schema.Allocate("xoff", 2026, 2, allocTestHash, tc.pm, tc.inputs)
			require.NoError(t, err)
			require.Equal(t, "xoff", a.Offering)
			require.Equal(t, schema.Uint(2026), a.Year)
			require.Equal(t, schema.Uint(2), a.PriceModelVersion)
			require.Equal(t, allocTestHash, a.PriceModelHash)
			require.Equal(t, tc.pm.DistributionKey, a.DistributionKey)
			require.Equal(t, []schema.Uint{tc.pm.WeightInhabitants, tc.pm.WeightCases, tc.pm.WeightTargetGroup, tc.pm.WeightKoenigsteiner},
				[]schema.Uint{a.WeightInhabitants, a.WeightCases, a.WeightTargetGroup, a.WeightKoenigsteiner})
			require.Equal(t, tc.central, a.Central)
			require.Equal(t, tc.chargeable, a.Chargeable)
			require.Equal(t, tc.shares, a.Shares)
			checkAllocation(t, allocCase{pm: tc.pm, inputs: tc.inputs}, a)
		})
	}
}

func TestAllocateRefusals(t *testing.T) {
	inh := allocPriceModel(100, false, schema.KeyInhabitants, 10000, 0, 0, 0)
	for _, tc := range []struct {
		name   string
		pm     *schema.PriceModelContent
		inputs []schema.AllocationInput
		code   schema.Code
		field  string
		rule   string
	}{
		{
			name: "not programmed", pm: allocPriceModel(0, false, schema.KeyInhabitants, 10000, 0, 0, 0),
			inputs: []schema.AllocationInput{{Agreement: "a", Inhabitants: fv(1)}},
			code:   schema.CodeInvalid, field: "priceModel", rule: "programmed",
		},
		{
			name: "no price model", pm: nil,
			inputs: []schema.AllocationInput{{Agreement: "a", Inhabitants: fv(1)}},
			code:   schema.CodeInvalid, field: "priceModel", rule: "programmed",
		},
		{
			name: "weights not summing to 10000", pm: allocPriceModel(100, false, schema.KeyCombination, 5000, 4000, 0, 0),
			inputs: []schema.AllocationInput{{Agreement: "a", Inhabitants: fv(1), Cases: fv(1)}},
			code:   schema.CodeInvalid, field: "priceModel", rule: "9000",
		},
		{
			name: "weights wrapping around to 10000", pm: allocPriceModel(100, false, schema.KeyCombination, 10000, math.MaxUint64, 1, 0),
			inputs: []schema.AllocationInput{{Agreement: "a", Inhabitants: fv(1), Cases: fv(1), TargetGroup: fv(1)}},
			code:   schema.CodeInvalid, field: "priceModel", rule: "not 10000",
		},
		{
			name: "no agreement in force", pm: inh,
			code: schema.CodeConflict, field: "year", rule: "no agreement",
		},
		{
			name: "duplicate agreement", pm: inh,
			inputs: []schema.AllocationInput{{Agreement: "a", Inhabitants: fv(1)}, {Agreement: "b", Inhabitants: fv(1)}, {Agreement: "a", Inhabitants: fv(2)}},
			code:   schema.CodeInvalid, field: "inputs", rule: "agreement a more than once",
		},
		{
			name: "missing figure names agreement and kind", pm: allocPriceModel(100, false, schema.KeyCombination, 5000, 5000, 0, 0),
			inputs: []schema.AllocationInput{{Agreement: "bonn-y", Inhabitants: fv(1), Cases: fv(3)}, {Agreement: "koeln-x", Inhabitants: fv(1)}},
			code:   schema.CodeConflict, field: "year", rule: "agreement koeln-x has no cases figure for 2026",
		},
		{
			name: "missing Königsteiner figure", pm: allocPriceModel(100, false, schema.KeyKoenigsteiner, 0, 0, 0, 10000),
			inputs: []schema.AllocationInput{{Agreement: "a", Land: "05", Inhabitants: fv(1)}},
			code:   schema.CodeConflict, field: "year", rule: "agreement a has no koenigsteiner figure for 2026",
		},
		{
			name: "all-zero key", pm: allocPriceModel(100, false, schema.KeyCombination, 2500, 0, 7500, 0),
			inputs: []schema.AllocationInput{{Agreement: "a", Inhabitants: fv(1), TargetGroup: fv(0)}, {Agreement: "b", Inhabitants: fv(4), TargetGroup: fv(0)}},
			code:   schema.CodeConflict, field: "year", rule: "targetGroup figures of the agreements sum to zero",
		},
		{
			name: "one Land, two Königsteiner figures", pm: allocPriceModel(100, false, schema.KeyKoenigsteiner, 0, 0, 0, 10000),
			inputs: []schema.AllocationInput{
				{Agreement: "a", Land: "05", Koenigsteiner: fv(2_000_000)},
				{Agreement: "b", Land: "05", Koenigsteiner: fv(2_100_000)},
			},
			code: schema.CodeInvalid, field: "inputs", rule: "agreements a and b of Land 05",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := schema.Allocate("xoff", 2026, 1, allocTestHash, tc.pm, tc.inputs)
			require.Nil(t, a)
			require.ErrorIs(t, err, &schema.Error{Code: tc.code, Field: tc.field})
			require.Contains(t, err.(*schema.Error).Rule, tc.rule)
		})
	}
}

// 10,000 agreements under all four keys allocate well within a second.
func TestAllocateTenThousandCombination(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	pm := allocPriceModel(987_654_321, true, schema.KeyCombination, 1000, 2000, 3000, 4000)
	pm.TargetGroup = "Unternehmen"
	in := make([]schema.AllocationInput, 10_000)
	for i := range in {
		land := 1 + r.IntN(16)
		in[i] = schema.AllocationInput{
			Agreement: fmt.Sprintf("ag-%d", r.Uint64()), Land: fmt.Sprintf("%02d", land),
			Inhabitants: fv(schema.Uint(1 + r.IntN(3_700_000))), Cases: fv(schema.Uint(r.IntN(1_000_000))),
			TargetGroup:   fv(schema.Uint(r.IntN(100_000))),
			Koenigsteiner: fv(schema.Uint(land * 100_000)),
		}
	}
	a, err := schema.Allocate("xoff", 2026, 1, allocTestHash, pm, in)
	require.NoError(t, err)
	checkAllocation(t, allocCase{pm: pm, inputs: in}, a) // its time: BenchmarkAllocateTenThousand
}

func BenchmarkAllocateTenThousand(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	pm := allocPriceModel(987_654_321, false, schema.KeyCombination, 1000, 2000, 3000, 4000)
	in := make([]schema.AllocationInput, 10_000)
	for i := range in {
		land := 1 + r.IntN(16)
		in[i] = schema.AllocationInput{
			Agreement: fmt.Sprintf("ag-%06d", i), Land: fmt.Sprintf("%02d", land),
			Inhabitants: fv(schema.Uint(1 + r.IntN(3_700_000))), Cases: fv(schema.Uint(r.IntN(1_000_000))),
			TargetGroup: fv(schema.Uint(r.IntN(100_000))), Koenigsteiner: fv(schema.Uint(land * 100_000)),
		}
	}
	for b.Loop() {
		if _, err := schema.Allocate("xoff", 2026, 1, allocTestHash, pm, in); err != nil {
			b.Fatal(err)
		}
	}
}
