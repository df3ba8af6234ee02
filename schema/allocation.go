package schema

// A cost allocation splits the chargeable part of a programmed price
// model's annual cost pool over the agreements of its offering in force in
// a year, by the distribution key, exactly to the cent (Allocate). The
// supplier publishes it (PublishAllocation: the registry recomputes it from
// what the ledger holds and keeps it), then sets each agreement's annual fee
// for the next year to its share (AdjustFees, a chunk of agreements at a
// time), as new fee versions that customer and Anbieter approve as any fee
// change.

// FigureValue is a figure an allocation used: its value and the version
// recorded on the ledger.
type FigureValue struct {
	Value   Uint `json:"value"`
	Version Uint `json:"version"`
}

// AllocationInput is what an agreement weighs with: the figures of the
// year of each key the price model weights (nil for a key it does not).
type AllocationInput struct {
	Agreement     string       `json:"agreement"`
	Customer      string       `json:"customer"`
	Land          string       `json:"land"` // the customer's Land, two digits (Königsteiner key)
	Inhabitants   *FigureValue `json:"inhabitants,omitempty"`
	Cases         *FigureValue `json:"cases,omitempty"`
	TargetGroup   *FigureValue `json:"targetGroup,omitempty"`
	Koenigsteiner *FigureValue `json:"koenigsteiner,omitempty"` // the share of the customer's Land
}

// AllocationShare is an agreement's share of the chargeable pool: in
// cents, and exactly, as a fraction of cents "numerator/denominator" in
// lowest terms.
type AllocationShare struct {
	Agreement string `json:"agreement"`
	Cents     Uint   `json:"cents"`
	Exact     string `json:"exact"`
}

// Allocation is the split of an offering's chargeable pool for a year under
// a price-model version, with every input and the rule, so that anyone can
// recompute it (Allocate). Inputs and Shares are ordered by agreement id.
type Allocation struct {
	Offering            string            `json:"offering"`
	Year                Uint              `json:"year"`
	PriceModelVersion   Uint              `json:"priceModelVersion"`
	PriceModelHash      string            `json:"priceModelHash"`
	Pool                Uint              `json:"pool"`       // the cost types (a)–(e)
	Central             Uint              `json:"central"`    // paid centrally (EfA-financed: half the pool, rounded down)
	Chargeable          Uint              `json:"chargeable"` // split over the agreements: pool − central
	DistributionKey     string            `json:"distributionKey"`
	WeightInhabitants   Uint              `json:"weightInhabitants"`
	WeightCases         Uint              `json:"weightCases"`
	WeightTargetGroup   Uint              `json:"weightTargetGroup"`
	WeightKoenigsteiner Uint              `json:"weightKoenigsteiner"`
	Rule                string            `json:"rule"`
	Inputs              []AllocationInput `json:"inputs"`
	Shares              []AllocationShare `json:"shares"`
	Hash                string            `json:"hash"` // AllocationHash of the above
}

// PublishedAllocation is an allocation the supplier published, write-once
// per offering, year and version; its inputs and shares are kept one
// agreement at a time (AllocationEntry) under the same name.
type PublishedAllocation struct {
	Allocation
	Version   Uint      `json:"version"`
	Published SignedAct `json:"published"`
}

// AllocationEntry is one agreement's input and share of a published
// allocation.
type AllocationEntry struct {
	Input AllocationInput `json:"input"`
	Share AllocationShare `json:"share"`
}

// AllocationEntryObject is the object type of the keys of a published
// allocation's entries: offering, year, version, agreement.
const AllocationEntryObject = "allocationEntry"

// AllocationEntryKey is the state key of an agreement's entry in a
// published allocation.
func AllocationEntryKey(offering string, year, version Uint, agreement string) string {
	return compositeKey(AllocationEntryObject, offering, YearKey(year), VersionKey(version), agreement)
}

// AllocationRef names a published allocation.
func AllocationRef(offering string, year, version Uint) Ref {
	return Ref{Record: RecordAllocation, ID: offering + "/" + YearKey(year), Version: version}
}

// PublishAllocationMessage is the supplier's publication of the allocation
// of an offering's pool for a year under a price-model version: the
// registry recomputes it from the ledger and keeps it if its hash is the one
// signed (AllocationHash), so the supplier signs exactly these shares.
type PublishAllocationMessage struct {
	Offering       string `json:"offering"`
	Year           Uint   `json:"year"`
	Version        Uint   `json:"version"` // 1, or the next after a republication (corrected figures)
	PriceModelHash string `json:"priceModelHash"`
	AllocationHash string `json:"allocationHash"`
	Replay
}

// MaxAdjustChunk bounds the agreements of one fee adjustment act. The act
// is kept with every fee version it enters and in every agreement's act
// log, so its size (about 45 bytes per agreement it names) is stored once
// per agreement: a chunk of 100 keeps that near 5 KB, and a transaction's
// write set near 1 MB, far below the 4 MB a Fabric gateway answers with by
// default (a chunk of 500 exceeded it: 26 MB).
const MaxAdjustChunk = 100

// AdjustFeesMessage is the supplier's September fee adjustment for a chunk
// of an offering's concluded agreements: each gets a new fee version whose
// annual fee, from 1 January of the year after the allocation's year, is its
// share in the published allocation (version AllocationVersion of Year).
// AnnualFees[i] is the fee the supplier signs for Agreements[i]; one that is
// not the agreement's share is refused, naming it.
type AdjustFeesMessage struct {
	Offering          string   `json:"offering"`
	Year              Uint     `json:"year"`
	AllocationVersion Uint     `json:"allocationVersion"`
	Agreements        []string `json:"agreements"`
	AnnualFees        []Uint   `json:"annualFees"`
	Replay
}

func (*PublishAllocationMessage) PrimaryType() string { return TypePublishAllocation }
func (*AdjustFeesMessage) PrimaryType() string        { return TypeAdjustFees }

func (m *PublishAllocationMessage) normalize() {
	m.PriceModelHash, m.AllocationHash = lowerHash(m.PriceModelHash), lowerHash(m.AllocationHash)
}

func (m *PublishAllocationMessage) validate() error {
	return first(
		checkID("message.offering", m.Offering),
		checkYear("message.year", m.Year),
		checkVersion("message.version", m.Version),
		checkHash("message.priceModelHash", m.PriceModelHash),
		checkHash("message.allocationHash", m.AllocationHash),
		m.check(),
	)
}

func (m *AdjustFeesMessage) normalize() {
	m.Agreements = orEmpty(m.Agreements)
	if m.AnnualFees == nil {
		m.AnnualFees = []Uint{}
	}
}

func (m *AdjustFeesMessage) validate() error {
	return first(
		checkID("message.offering", m.Offering),
		checkYear("message.year", m.Year),
		checkVersion("message.allocationVersion", m.AllocationVersion),
		func() error {
			if len(m.Agreements) == 0 {
				return Invalid("message.agreements", "must name at least one agreement")
			}
			return checkList("message.agreements", m.Agreements, MaxAdjustChunk, func(id string) error { return checkID("", id) })
		}(),
		func() error {
			if len(m.AnnualFees) != len(m.Agreements) {
				return Invalid("message.annualFees", "must give one annual fee per agreement (%d), not %d", len(m.Agreements), len(m.AnnualFees))
			}
			for i, f := range m.AnnualFees {
				if err := checkCents(fmtIndex("message.annualFees", i), f); err != nil {
					return err
				}
			}
			return nil
		}(),
		m.check(),
	)
}

// FeeAdjustment is the answer to a fee adjustment: the fee versions it
// entered, one per agreement it names.
type FeeAdjustment struct {
	Offering          string       `json:"offering"`
	Year              Uint         `json:"year"`
	AllocationVersion Uint         `json:"allocationVersion"`
	FeeVersions       []FeeVersion `json:"feeVersions"`
}
