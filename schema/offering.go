package schema

import (
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/schema/identifier"
)

// Offering kinds: OZG online services, and the back-office systems, base
// components and cloud services the marketplace also books as SaaS.
const (
	KindOZGService      = "ozg-service"
	KindFachverfahren   = "fachverfahren"
	KindBasiskomponente = "basiskomponente"
	KindCloudService    = "cloud-service"
)

// OfferingKinds lists the kinds of offering.
var OfferingKinds = []string{KindOZGService, KindFachverfahren, KindBasiskomponente, KindCloudService}

// Offering statuses.
const (
	OfferingSubmitted = "SUBMITTED" // the latest version awaits the Anbieter's acceptance
	OfferingPublished = "PUBLISHED" // the latest version is accepted and on the marketplace
	OfferingWithdrawn = "WITHDRAWN"
)

// OfferingStatuses lists the offering statuses.
var OfferingStatuses = []string{OfferingSubmitted, OfferingPublished, OfferingWithdrawn}

// OfferingContent is the content of an offering version; its EIP-712
// digest (type Offering) is the version's hash.
type OfferingContent struct {
	Offering           string   `json:"offering"`
	Version            Uint     `json:"version"`
	Supplier           string   `json:"supplier"`
	Anbieter           string   `json:"anbieter"`
	Kind               string   `json:"kind"`
	Title              string   `json:"title"`
	Description        string   `json:"description"`
	Themenfeld         string   `json:"themenfeld"`
	LeiKaKeys          []string `json:"leikaKeys"`
	OZGIDs             []string `json:"ozgIds"`
	EfaFinanced        bool     `json:"efaFinanced"`
	CostInfrastructure Uint     `json:"costInfrastructure"` // (a) infrastructure operation, cents per year
	CostDevelopment    Uint     `json:"costDevelopment"`    // (b) development and change management
	CostPlatform       Uint     `json:"costPlatform"`       // (c) platform fee share
	CostOperation      Uint     `json:"costOperation"`      // (d) operation incl. support
	CostUsage          Uint     `json:"costUsage"`          // (e) usage-caused costs (print, postage)
	DocumentHashes     []string `json:"documentHashes"`     // SHA-256 of the contract documents kept off-chain
}

// OfferingVersion is one version of an offering, write-once.
type OfferingVersion struct {
	OfferingContent
	Hash      string    `json:"hash"` // EIP-712 digest of the content (type Offering)
	Submitted SignedAct `json:"submitted"`
}

// Offering is the current state of an offering: its latest version, the
// version on the marketplace, and its status.
type Offering struct {
	OfferingVersion
	Status           string `json:"status"`
	PublishedVersion Uint   `json:"publishedVersion"`
	PublishedHash    string `json:"publishedHash"`
	ActLog                  // acceptances and withdrawal
	Updated          Stamp  `json:"updated"`
}

func (c *OfferingContent) normalize() {
	c.LeiKaKeys, c.OZGIDs = orEmpty(c.LeiKaKeys), orEmpty(c.OZGIDs)
	c.DocumentHashes = orEmpty(c.DocumentHashes)
	for i, h := range c.DocumentHashes {
		c.DocumentHashes[i] = lowerHash(h)
	}
}

func (c *OfferingContent) validate(prefix string) error {
	return first(
		checkID(prefix+"offering", c.Offering),
		checkVersion(prefix+"version", c.Version),
		checkID(prefix+"supplier", c.Supplier),
		checkID(prefix+"anbieter", c.Anbieter),
		func() error {
			if !slices.Contains(OfferingKinds, c.Kind) {
				return Invalid(prefix+"kind", "must be one of %s", strings.Join(OfferingKinds, ", "))
			}
			return nil
		}(),
		checkText(prefix+"title", c.Title, 1, 200),
		checkText(prefix+"description", c.Description, 0, 10000),
		func() error {
			if c.Themenfeld == "" && c.Kind != KindOZGService {
				return nil
			}
			if err := identifier.Themenfeld(c.Themenfeld); err != nil {
				return Invalid(prefix+"themenfeld", "%v", err)
			}
			return nil
		}(),
		checkList(prefix+"leikaKeys", c.LeiKaKeys, 100, identifier.LeiKa),
		checkList(prefix+"ozgIds", c.OZGIDs, 100, identifier.OZGID),
		func() error {
			if c.Kind != KindOZGService && (len(c.LeiKaKeys) > 0 || len(c.OZGIDs) > 0) {
				return Invalid(prefix+"kind", "only an %s has LeiKa keys and OZG-IDs", KindOZGService)
			}
			return nil
		}(),
		checkCents(prefix+"costInfrastructure", c.CostInfrastructure), checkCents(prefix+"costDevelopment", c.CostDevelopment),
		checkCents(prefix+"costPlatform", c.CostPlatform), checkCents(prefix+"costOperation", c.CostOperation),
		checkCents(prefix+"costUsage", c.CostUsage),
		checkList(prefix+"documentHashes", c.DocumentHashes, 50, func(h string) error { return checkHash("", h) }),
	)
}
