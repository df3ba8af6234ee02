package schema

import (
	"slices"
	"strings"
)

// Distribution keys for splitting a service's costs among its users.
const (
	KeyInhabitants   = "inhabitants"
	KeyCases         = "cases"
	KeyTargetGroup   = "targetGroup"
	KeyKoenigsteiner = "koenigsteiner"
	KeyCombination   = "combination"
)

// DistributionKeys lists the distribution keys.
var DistributionKeys = []string{KeyInhabitants, KeyCases, KeyTargetGroup, KeyKoenigsteiner, KeyCombination}

// VAT categories of an invoice (EN 16931 UNCL5305 codes): standard rate,
// exempt, and not subject to VAT (e.g. re-use that serves sovereign tasks,
// which FITKO has charged without VAT since May 2025).
const (
	VATStandard      = "S"
	VATExempt        = "E"
	VATNotSubject    = "O"
	MaxVATBasisPoint = 10000
)

// VATCategories lists the VAT categories a price model may name.
var VATCategories = []string{VATStandard, VATExempt, VATNotSubject}

// PriceModelContent is a price-model version; its EIP-712 digest (type
// PriceModel) is the version's hash. Weights are basis points (10000 = 100 %).
//
// A version that carries an annual cost pool (the cost types (a)–(e), in
// cents per year) is programmed: the registry splits the chargeable part of
// the pool over the agreements in force by the distribution key
// (Allocate), and the supplier's fee adjustment sets each agreement's annual
// fee to its share. With EfaFinanced, half the pool is paid centrally and
// only the rest is charged on the marketplace. TargetGroup names the group a
// target-group key counts (e.g. "Unternehmen"). The VAT treatment of its
// invoices is data: a category, a rate in basis points (1900 = 19 %) and,
// where no VAT is charged, the reason an invoice states.
type PriceModelContent struct {
	Offering            string `json:"offering"`
	Version             Uint   `json:"version"`
	PredecessorHash     string `json:"predecessorHash"`
	ValidFrom           string `json:"validFrom"`
	DistributionKey     string `json:"distributionKey"`
	WeightInhabitants   Uint   `json:"weightInhabitants"`
	WeightCases         Uint   `json:"weightCases"`
	WeightTargetGroup   Uint   `json:"weightTargetGroup"`
	WeightKoenigsteiner Uint   `json:"weightKoenigsteiner"`
	AnnualFee           Uint   `json:"annualFee"`     // cents per calendar year
	ProRataFee          Uint   `json:"proRataFee"`    // cents for the signing year
	ConnectionFee       Uint   `json:"connectionFee"` // one-off, cents
	ScopeOfUse          string `json:"scopeOfUse"`
	CostInfrastructure  Uint   `json:"costInfrastructure"` // (a) infrastructure operation, cents per year
	CostDevelopment     Uint   `json:"costDevelopment"`    // (b) development and change management
	CostPlatform        Uint   `json:"costPlatform"`       // (c) platform fee share
	CostOperation       Uint   `json:"costOperation"`      // (d) operation incl. support
	CostUsage           Uint   `json:"costUsage"`          // (e) usage-caused costs (print, postage)
	EfaFinanced         bool   `json:"efaFinanced"`
	TargetGroup         string `json:"targetGroup"` // the group a target-group key counts; "" when unused
	VATCategory         string `json:"vatCategory"`
	VATRate             Uint   `json:"vatRate"`      // basis points
	VATExemption        string `json:"vatExemption"` // the reason an invoice states when no VAT is charged
}

// Pool is the annual cost pool: the sum of the cost types (a)–(e), in cents.
func (c *PriceModelContent) Pool() Uint {
	return c.CostInfrastructure + c.CostDevelopment + c.CostPlatform + c.CostOperation + c.CostUsage
}

// Programmed reports whether the version carries a cost pool to allocate.
func (c *PriceModelContent) Programmed() bool { return c.Pool() > 0 }

// Chargeable is the part of the pool charged on the marketplace: all of it,
// or for an EfA-financed service the half not paid centrally — the pool less
// its central half rounded down, so that an odd cent is charged.
func (c *PriceModelContent) Chargeable() Uint {
	if c.EfaFinanced {
		return c.Pool() - c.Pool()/2
	}
	return c.Pool()
}

// PriceModel is a published price-model version, write-once.
type PriceModel struct {
	PriceModelContent
	Hash      string    `json:"hash"` // EIP-712 digest of the content (type PriceModel)
	Published SignedAct `json:"published"`
}

func (c *PriceModelContent) normalize() { c.PredecessorHash = lowerHash(c.PredecessorHash) }

func (c *PriceModelContent) validate(prefix string) error {
	weights := map[string]Uint{
		KeyInhabitants: c.WeightInhabitants, KeyCases: c.WeightCases,
		KeyTargetGroup: c.WeightTargetGroup, KeyKoenigsteiner: c.WeightKoenigsteiner,
	}
	return first(
		checkID(prefix+"offering", c.Offering),
		checkVersion(prefix+"version", c.Version),
		checkHash(prefix+"predecessorHash", c.PredecessorHash),
		checkDate(prefix+"validFrom", c.ValidFrom),
		func() error {
			if !slices.Contains(DistributionKeys, c.DistributionKey) {
				return Invalid(prefix+"distributionKey", "must be one of %s", strings.Join(DistributionKeys, ", "))
			}
			var sum uint64
			used := 0
			for _, k := range DistributionKeys[:4] {
				sum += uint64(weights[k])
				if weights[k] > 0 {
					used++
				}
			}
			switch {
			case sum != 10000:
				return Invalid(prefix+"weightInhabitants", "the four weights must add up to 10000 basis points, not %d", sum)
			case c.DistributionKey == KeyCombination && used < 2:
				return Invalid(prefix+"distributionKey", "a combination weights at least two keys")
			case c.DistributionKey != KeyCombination && weights[c.DistributionKey] != 10000:
				return Invalid(prefix+"distributionKey", "a single key %s carries the whole weight of 10000", c.DistributionKey)
			}
			return nil
		}(),
		checkCents(prefix+"annualFee", c.AnnualFee), checkCents(prefix+"proRataFee", c.ProRataFee),
		checkCents(prefix+"connectionFee", c.ConnectionFee),
		checkText(prefix+"scopeOfUse", c.ScopeOfUse, 0, 10000),
		checkCents(prefix+"costInfrastructure", c.CostInfrastructure), checkCents(prefix+"costDevelopment", c.CostDevelopment),
		checkCents(prefix+"costPlatform", c.CostPlatform), checkCents(prefix+"costOperation", c.CostOperation),
		checkCents(prefix+"costUsage", c.CostUsage),
		checkCents(prefix+"costUsage", c.Pool()), // the pool too stays within the bound
		checkText(prefix+"targetGroup", c.TargetGroup, 0, 200),
		func() error {
			if c.WeightTargetGroup > 0 && c.TargetGroup == "" {
				return Invalid(prefix+"targetGroup", "must name the group the target-group key counts")
			}
			if c.WeightTargetGroup == 0 && c.TargetGroup != "" {
				return Invalid(prefix+"targetGroup", "must be empty: no target-group key is weighted")
			}
			return nil
		}(),
		c.validateVAT(prefix),
	)
}

func (c *PriceModelContent) validateVAT(prefix string) error {
	switch c.VATCategory {
	case VATStandard:
		if c.VATRate == 0 || c.VATRate > MaxVATBasisPoint {
			return Invalid(prefix+"vatRate", "must be 1 to %d basis points for the standard rate (1900 = 19 %%)", MaxVATBasisPoint)
		}
		if c.VATExemption != "" {
			return Invalid(prefix+"vatExemption", "must be empty where VAT is charged")
		}
	case VATExempt, VATNotSubject:
		if c.VATRate != 0 {
			return Invalid(prefix+"vatRate", "must be 0 where no VAT is charged")
		}
		if err := checkText(prefix+"vatExemption", c.VATExemption, 1, 500); err != nil {
			return Invalid(prefix+"vatExemption", "must state why no VAT is charged (1–500 characters)")
		}
	default:
		return Invalid(prefix+"vatCategory", "must be one of %s", strings.Join(VATCategories, ", "))
	}
	return nil
}
