package client

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/efa-marktplatz/registry/schema"
)

// RecordFigures records a batch of reference figures of one kind and year
// (an admin identity's client of a member org). The result's payload is the
// list of figures recorded.
func (c *Client) RecordFigures(ctx context.Context, b schema.FigureBatch) (*Result, error) {
	raw, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("client: encode figures: %w", err)
	}
	return c.Submit(ctx, schema.FnRecordFigures, string(raw))
}

// SetPartyDetails replaces what invoices need of a party (an admin
// identity's client of its vouching member org). The payload is the party.
func (c *Client) SetPartyDetails(ctx context.Context, party string, d schema.PartyDetails) (*Result, error) {
	d.Normalize()
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("client: encode details: %w", err)
	}
	return c.Submit(ctx, schema.FnSetPartyDetails, party, string(raw))
}

// Figure returns the latest version of a figure (version 0), or a version.
func (c *Client) Figure(ctx context.Context, kind, subject string, year, version schema.Uint) (*schema.Figure, error) {
	v := ""
	if version > 0 {
		v = strconv.FormatUint(uint64(version), 10)
	}
	return query[*schema.Figure](ctx, c, schema.FnGetFigure, kind, subject, strconv.FormatUint(uint64(year), 10), v)
}

// FigureVersions returns a page of a figure's versions, oldest first.
func (c *Client) FigureVersions(ctx context.Context, kind, subject string, year schema.Uint, p PageRequest) (*schema.Page[json.RawMessage], error) {
	return query[*schema.Page[json.RawMessage]](ctx, c, schema.FnListFigures, append([]string{kind, subject, strconv.FormatUint(uint64(year), 10)}, pageArgs(p)...)...)
}

// ComputeAllocation computes, without recording it, the allocation of an
// offering's cost pool for a year under a price-model version (0: the
// version in force in the year).
func (c *Client) ComputeAllocation(ctx context.Context, offering string, year, priceModel schema.Uint) (*schema.Allocation, error) {
	pm := ""
	if priceModel > 0 {
		pm = strconv.FormatUint(uint64(priceModel), 10)
	}
	return query[*schema.Allocation](ctx, c, schema.FnComputeAllocation, offering, strconv.FormatUint(uint64(year), 10), pm)
}

// Allocation returns a published allocation with its inputs and shares
// (version 0: the newest).
func (c *Client) Allocation(ctx context.Context, offering string, year, version schema.Uint) (*schema.PublishedAllocation, error) {
	v := ""
	if version > 0 {
		v = strconv.FormatUint(uint64(version), 10)
	}
	return query[*schema.PublishedAllocation](ctx, c, schema.FnGetAllocation, offering, strconv.FormatUint(uint64(year), 10), v)
}

// Invoice returns an invoice.
func (c *Client) Invoice(ctx context.Context, id string) (*schema.Invoice, error) {
	return decoded[schema.Invoice](ctx, c, schema.InvoiceRef(id))
}

// Invoices returns a page of invoices, all or by customer, anbieter,
// agreement or year (schema.InvoiceFilters).
func (c *Client) Invoices(ctx context.Context, f Filter, p PageRequest) (*schema.Page[json.RawMessage], error) {
	return query[*schema.Page[json.RawMessage]](ctx, c, schema.FnListInvoices, append([]string{f.By, f.Value}, pageArgs(p)...)...)
}
