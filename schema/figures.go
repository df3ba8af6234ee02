package schema

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/efa-marktplatz/registry/schema/identifier"
)

// Kinds of reference figure: what a cost allocation weighs agreements by.
// Each figure is recorded once per kind, subject and year; a correction is
// a new version that names the version it replaces.
const (
	// FigureInhabitants: a customer's inhabitants (subject: the party id).
	FigureInhabitants = "inhabitants"
	// FigureTargetGroup: the size of an offering's target group at a
	// customer (subject: party@offering).
	FigureTargetGroup = "targetGroup"
	// FigureKoenigsteiner: a Land's share of the Königsteiner Schlüssel
	// (subject: the two-digit Land code), in units of 10^-5 percent as
	// published with five decimals; a year's 16 shares sum to KoenigsteinerTotal.
	FigureKoenigsteiner = "koenigsteiner"
	// FigureCases: an agreement's actual cases in a year (subject: the
	// agreement id), reported by its supplier (ReportUsage).
	FigureCases = "cases"
)

// FigureKinds lists the kinds of reference figure.
var FigureKinds = []string{FigureInhabitants, FigureTargetGroup, FigureKoenigsteiner, FigureCases}

// MemberFigureKinds are the kinds member orgs vouch for (RecordFigures);
// cases are reported by the supplier as a signed act.
var MemberFigureKinds = []string{FigureInhabitants, FigureTargetGroup, FigureKoenigsteiner}

// KoenigsteinerTotal is 100.00000 percent in the unit of FigureKoenigsteiner.
const KoenigsteinerTotal Uint = 10_000_000

// MaxFigure bounds a count (inhabitants, target group, cases): 10^10.
const MaxFigure Uint = 10_000_000_000

// Years a figure, an allocation or an invoice may be for.
const (
	MinYear Uint = 2000
	MaxYear Uint = 9999
)

// Figure is one recorded version of a reference figure, write-once.
type Figure struct {
	Kind          string     `json:"kind"`
	Subject       string     `json:"subject"`
	Year          Uint       `json:"year"`
	Version       Uint       `json:"version"`
	Value         Uint       `json:"value"`
	ReferenceDate string     `json:"referenceDate"` // the date the figure describes, e.g. 2025-12-31
	Source        string     `json:"source"`        // where it was read, e.g. a statistical office's table
	Replaces      Uint       `json:"replaces"`      // the version it corrects; 0 for the first
	Reason        string     `json:"reason"`        // why it corrects the version it replaces; "" for the first
	VouchedBy     string     `json:"vouchedBy,omitempty"`
	Reported      *SignedAct `json:"reported,omitempty"` // the supplier's act, for cases
	Recorded      Stamp      `json:"recorded"`
}

// Ref names the figure version.
func (f *Figure) Ref() Ref { return FigureRef(f.Kind, f.Subject, f.Year, f.Version) }

// FigureRef names a version of a figure.
func FigureRef(kind, subject string, year, version Uint) Ref {
	return Ref{Record: RecordFigure, ID: FigureID(kind, subject, year), Version: version}
}

// FigureID is a figure's name without its version: kind/subject/year.
func FigureID(kind, subject string, year Uint) string {
	return kind + "/" + subject + "/" + strconv.FormatUint(uint64(year), 10)
}

// TargetGroupSubject is the subject of a target-group figure: the size of an
// offering's target group at a customer.
func TargetGroupSubject(party, offering string) string { return party + "@" + offering }

// FigureLatestObject is the object type of the keys under which the latest
// version of each figure is kept (kind, subject, year), so that a reader
// finds it in one read.
const FigureLatestObject = "figureLatest"

// FigureLatestKey is the state key of the latest version of a figure.
func FigureLatestKey(kind, subject string, year Uint) string {
	return compositeKey(FigureLatestObject, kind, subject, YearKey(year))
}

// YearKey is a year as a key attribute.
func YearKey(y Uint) string { return fmt.Sprintf("%04d", uint64(y)) }

// FigureBatch is what a member org records in one transaction (function
// RecordFigures, an admin identity): figures of one kind and year with
// their reference date and source. A Königsteiner batch is the whole year's
// table: all 16 Länder, summing to KoenigsteinerTotal. A correction names,
// per figure, the version it replaces (the latest), and gives the reason.
type FigureBatch struct {
	Kind          string        `json:"kind"`
	Year          Uint          `json:"year"`
	ReferenceDate string        `json:"referenceDate"`
	Source        string        `json:"source"`
	Reason        string        `json:"reason"` // "" unless the batch corrects figures
	Figures       []FigureEntry `json:"figures"`
}

// FigureEntry is one figure of a batch.
type FigureEntry struct {
	Subject  string `json:"subject"`
	Value    Uint   `json:"value"`
	Replaces Uint   `json:"replaces"` // 0: a first figure; n: corrects version n, the latest
}

// MaxBatch bounds the figures of one batch.
const MaxBatch = 1000

// DecodeFigureBatch decodes a batch strictly (fields named as in the JSON
// object, e.g. "figures[3].value") and validates it.
func DecodeFigureBatch(raw []byte) (*FigureBatch, error) {
	var b FigureBatch
	if err := DecodeStrict("", raw, &b); err != nil {
		return nil, err
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &b, nil
}

// Validate checks a batch's fields; an error names the field.
func (b *FigureBatch) Validate() error {
	if !slices.Contains(MemberFigureKinds, b.Kind) {
		return Invalid("kind", "must be one of %s (cases are reported by the supplier)", strings.Join(MemberFigureKinds, ", "))
	}
	if err := first(checkYear("year", b.Year), checkDate("referenceDate", b.ReferenceDate),
		checkText("source", b.Source, 1, 500), checkText("reason", b.Reason, 0, 1000)); err != nil {
		return err
	}
	if len(b.Figures) == 0 || len(b.Figures) > MaxBatch {
		return Invalid("figures", "must hold 1 to %d figures", MaxBatch)
	}
	seen := map[string]bool{}
	corrects := false
	var sum Uint
	for i, f := range b.Figures {
		field := fmt.Sprintf("figures[%d]", i)
		if err := checkSubject(field+".subject", b.Kind, f.Subject); err != nil {
			return err
		}
		if seen[f.Subject] {
			return Invalid(field+".subject", "names %s a second time", f.Subject)
		}
		seen[f.Subject] = true
		if err := checkFigureValue(field+".value", b.Kind, f.Value); err != nil {
			return err
		}
		if i > 0 && (f.Replaces > 0) != corrects {
			return Invalid(field+".replaces", "a batch either records first figures (0) or corrects figures (the version each replaces), not both")
		}
		corrects = f.Replaces > 0
		sum += f.Value
	}
	if corrects && b.Reason == "" {
		return Invalid("reason", "must say why the figures are corrected")
	}
	if !corrects && b.Reason != "" {
		return Invalid("reason", "must be empty unless the batch corrects figures")
	}
	if b.Kind == FigureKoenigsteiner {
		if len(b.Figures) != 16 {
			return Invalid("figures", "must hold the whole year's table: the shares of all 16 Länder")
		}
		if sum != KoenigsteinerTotal {
			return Invalid("figures", "the 16 shares must sum to 100.00000 percent (%d), not %s", KoenigsteinerTotal, Percent5(sum))
		}
	}
	return nil
}

// checkSubject checks the subject of a figure of a kind.
func checkSubject(field, kind, s string) error {
	switch kind {
	case FigureInhabitants:
		return checkID(field, s)
	case FigureTargetGroup:
		party, offering, ok := strings.Cut(s, "@")
		if !ok || checkID("", party) != nil || checkID("", offering) != nil {
			return Invalid(field, "must be party@offering: the size of the offering's target group at the party")
		}
		return nil
	case FigureKoenigsteiner:
		if _, ok := identifier.Land(s); !ok {
			return Invalid(field, "must be a Land code 01 to 16")
		}
		return nil
	case FigureCases:
		return checkID(field, s)
	}
	return Invalid(field, "no figure of kind %q", kind)
}

func checkFigureValue(field, kind string, v Uint) error {
	switch {
	case kind == FigureKoenigsteiner && v > KoenigsteinerTotal:
		return Invalid(field, "must be a share of at most 100.00000 percent, in units of 0.00001 percent")
	case kind != FigureKoenigsteiner && v > MaxFigure:
		return Invalid(field, "must be at most %d", MaxFigure)
	case kind == FigureInhabitants && v == 0:
		return Invalid(field, "must be 1 or more")
	}
	return nil
}

func checkYear(field string, y Uint) error {
	if y < MinYear || y > MaxYear {
		return Invalid(field, "must be a year from %d to %d", MinYear, MaxYear)
	}
	return nil
}

// Percent5 writes a share in units of 10^-5 percent as published: 12.96662.
func Percent5(v Uint) string {
	return fmt.Sprintf("%d.%05d", uint64(v)/100000, uint64(v)%100000)
}

// ReportUsageMessage is the supplier's report of an agreement's actual
// cases in a year, which the customer sees. A correction names the version
// it replaces (the latest).
type ReportUsageMessage struct {
	Agreement string `json:"agreement"`
	Year      Uint   `json:"year"`
	Cases     Uint   `json:"cases"`
	Replaces  Uint   `json:"replaces"`
	Replay
}

func (*ReportUsageMessage) PrimaryType() string { return TypeReportUsage }

func (m *ReportUsageMessage) normalize() {}

func (m *ReportUsageMessage) validate() error {
	return first(
		checkID("message.agreement", m.Agreement),
		checkYear("message.year", m.Year),
		checkFigureValue("message.cases", FigureCases, m.Cases),
		m.check(),
	)
}
