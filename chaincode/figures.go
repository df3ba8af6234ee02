package chaincode

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// RecordFigures records a batch of reference figures of one kind and year
// on the authority of a member org (an admin identity): inhabitants and
// target-group sizes of the customers, or the year's Königsteiner table.
// Each figure is written once per kind, subject and year; a correction is a
// new version that names the version it replaces, with the reason.
func (c *Registry) RecordFigures(ctx contractapi.TransactionContextInterface, batch string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	msp, err := t.memberAdmin()
	if err != nil {
		return "", err
	}
	b, err := schema.DecodeFigureBatch([]byte(batch))
	if err != nil {
		return "", err
	}
	recorded := make([]schema.Figure, 0, len(b.Figures))
	for i, e := range b.Figures {
		field := fmt.Sprintf("figures[%d]", i)
		if err := t.checkFigureSubject(field+".subject", b.Kind, e.Subject); err != nil {
			return "", err
		}
		version, err := t.nextFigureVersion(field, b.Kind, e.Subject, b.Year, e.Replaces)
		if err != nil {
			return "", err
		}
		f := schema.Figure{Kind: b.Kind, Subject: e.Subject, Year: b.Year, Version: version, Value: e.Value,
			ReferenceDate: b.ReferenceDate, Source: b.Source, Replaces: e.Replaces, Reason: b.Reason,
			VouchedBy: msp, Recorded: t.stamp()}
		if err := t.writeFigure(field, &f); err != nil {
			return "", err
		}
		recorded = append(recorded, f)
	}
	raw, err := json.Marshal(recorded)
	if err != nil {
		return "", fmt.Errorf("encode figures: %w", err)
	}
	if err := t.emit(schema.ActFiguresRecorded, schema.RecordFigure, b.Kind+"/"+schema.YearKey(b.Year), "", raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// checkFigureSubject checks that a figure's subject exists: a customer for
// inhabitants, a customer and an offering for a target group.
func (t *tx) checkFigureSubject(field, kind, subject string) error {
	party := subject
	switch kind {
	case schema.FigureKoenigsteiner:
		return nil // a Land code, checked by the schema
	case schema.FigureTargetGroup:
		var offering string
		party, offering, _ = strings.Cut(subject, "@")
		if found, err := offerings.exists(t, offering); err != nil {
			return err
		} else if !found {
			return schema.NotFound(field, "no offering %s", offering)
		}
	}
	p, err := parties.load(t, field, party)
	if err != nil {
		return err
	}
	if !slices.Contains(schema.CustomerKinds, p.Kind) {
		return schema.Invalid(field, "party %s is a %s; figures are recorded for customers (%s)", p.ID, p.Kind, strings.Join(schema.CustomerKinds, ", "))
	}
	return nil
}

// latestFigure returns the latest version of a figure; nil when there is none.
func (t *tx) latestFigure(kind, subject string, year schema.Uint) (*schema.Figure, error) {
	var f schema.Figure
	found, err := t.get(&f, schema.FigureLatestObject, kind, subject, schema.YearKey(year))
	if err != nil || !found {
		return nil, err
	}
	return &f, nil
}

// nextFigureVersion checks what a figure replaces — nothing for a first
// figure, else its latest version — and returns the version it becomes.
func (t *tx) nextFigureVersion(field, kind, subject string, year, replaces schema.Uint) (schema.Uint, error) {
	latest, err := t.latestFigure(kind, subject, year)
	if err != nil {
		return 0, err
	}
	switch {
	case latest == nil && replaces > 0:
		return 0, schema.NotFound(field+".replaces", "there is no %s figure of %s for %d to correct", kind, subject, year)
	case latest != nil && replaces == 0:
		return 0, schema.Conflict(field+".replaces", "the %s figure of %s for %d is recorded (version %d) and write-once; a correction names the version it replaces", kind, subject, year, latest.Version)
	case latest != nil && replaces != latest.Version:
		return 0, schema.Conflict(field+".replaces", "must be the latest version of the %s figure of %s for %d: %d", kind, subject, year, latest.Version)
	}
	return replaces + 1, nil
}

// writeFigure writes a figure version, write-once, and makes it the latest.
func (t *tx) writeFigure(field string, f *schema.Figure) error {
	ref := f.Ref()
	if _, err := t.putOnce(field, f, string(ref.Record), ref.Attributes()...); err != nil {
		return err
	}
	_, err := t.put(f, schema.FigureLatestObject, f.Kind, f.Subject, schema.YearKey(f.Year))
	return err
}

// ReportUsage records an agreement's actual cases in a year, signed by its
// supplier, from the year of the order up to the current year. The customer
// sees the report; a correction names the version it replaces.
func (c *Registry) ReportUsage(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.ReportUsageMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	a, err := agreements.load(t, "message.agreement", m.Agreement)
	if err != nil {
		return "", err
	}
	if _, err := t.signedByParty(v, "message.agreement", a.Supplier); err != nil {
		return "", err
	}
	year := schema.YearKey(m.Year)
	switch {
	case a.OrderDate == "":
		return "", schema.Conflict("message.agreement", "agreement %s is not ordered; usage is reported from the year of its order", a.ID)
	case year < a.OrderDate[:4]:
		return "", schema.Invalid("message.year", "agreement %s was ordered on %s; usage is reported from that year", a.ID, a.OrderDate)
	case year > t.today()[:4]:
		return "", schema.Invalid("message.year", "must not be after the current year %s", t.today()[:4])
	case a.EndDate != "" && year > a.EndDate[:4]:
		return "", schema.Invalid("message.year", "agreement %s ended on %s", a.ID, a.EndDate)
	}
	version, err := t.nextFigureVersion("message", schema.FigureCases, a.ID, m.Year, m.Replaces)
	if err != nil {
		return "", err
	}
	asOf := min(t.today(), year+"-12-31")
	f := schema.Figure{Kind: schema.FigureCases, Subject: a.ID, Year: m.Year, Version: version, Value: m.Cases,
		ReferenceDate: asOf, Source: "usage report of the supplier " + a.Supplier, Replaces: m.Replaces,
		Reported: &v.act, Recorded: t.stamp()}
	if err := t.writeFigure("message.year", &f); err != nil {
		return "", err
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("encode usage: %w", err)
	}
	if err := t.emit("UsageReported", schema.RecordFigure, f.Ref().String(), "", raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// GetFigure returns a version of a figure, or with version "" its latest.
func (c *Registry) GetFigure(ctx contractapi.TransactionContextInterface, kind, subject, year, version string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	y, err := parseYear("year", year)
	if err != nil {
		return "", err
	}
	if !slices.Contains(schema.FigureKinds, kind) {
		return "", schema.Invalid("kind", "must be one of %s", strings.Join(schema.FigureKinds, ", "))
	}
	var raw []byte
	if version == "" {
		k, err := t.key(schema.FigureLatestObject, kind, subject, schema.YearKey(y))
		if err != nil {
			return "", schema.Invalid("subject", "%v", err)
		}
		if raw, err = t.stub.GetState(k); err != nil {
			return "", fmt.Errorf("read figure: %w", err)
		}
	} else {
		v, err := schema.ParseVersion("version", version)
		if err != nil {
			return "", err
		}
		ref := schema.FigureRef(kind, subject, y, v)
		k, err := t.key(string(ref.Record), ref.Attributes()...)
		if err != nil {
			return "", schema.Invalid("subject", "%v", err)
		}
		if raw, err = t.stub.GetState(k); err != nil {
			return "", fmt.Errorf("read figure: %w", err)
		}
	}
	if raw == nil {
		return "", schema.NotFound("subject", "no %s figure of %s for %d%s", kind, subject, y, map[bool]string{true: "", false: " in version " + version}[version == ""])
	}
	return string(raw), nil
}

// ListFigures pages through the versions of a figure, oldest first: the
// figure as first recorded and each correction.
func (c *Registry) ListFigures(ctx contractapi.TransactionContextInterface, kind, subject, year, pageSize, bookmark string) (string, error) {
	y, err := parseYear("year", year)
	if err != nil {
		return "", err
	}
	if !slices.Contains(schema.FigureKinds, kind) {
		return "", schema.Invalid("kind", "must be one of %s", strings.Join(schema.FigureKinds, ", "))
	}
	return list(ctx, listing{scan: string(schema.RecordFigure), attrs: []string{kind, subject, schema.YearKey(y)}}, pageSize, bookmark)
}

// parseYear reads a year given as text; field names it in the refusal.
func parseYear(field, s string) (schema.Uint, error) {
	y, err := schema.ParseVersion(field, s)
	if err != nil || y < schema.MinYear || y > schema.MaxYear {
		return 0, schema.Invalid(field, "must be a year from %d to %d", schema.MinYear, schema.MaxYear)
	}
	return y, nil
}
