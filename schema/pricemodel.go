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

// PriceModelContent is a price-model version; its EIP-712 digest (type
// PriceModel) is the version's hash. Weights are basis points (10000 = 100 %).
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
	)
}
