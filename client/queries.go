package client

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// Record returns a record as the ledger stores it (its JSON, unchanged).
func (c *Client) Record(ctx context.Context, ref schema.Ref) (json.RawMessage, error) {
	fn, ok := schema.RecordGetter(ref.Record)
	if !ok {
		return nil, schema.Invalid("record", "no record kind %q", ref.Record)
	}
	args := []string{ref.ID}
	if ref.Record == schema.RecordFigure || ref.Record == schema.RecordAllocation {
		args = strings.Split(ref.ID, "/") // kind, subject, year; offering, year
	}
	if ref.Record.Versioned() {
		args = append(args, strconv.FormatUint(uint64(ref.Version), 10))
	}
	return c.Evaluate(ctx, fn, args...)
}

// Party returns a party.
func (c *Client) Party(ctx context.Context, id string) (*schema.Party, error) {
	return decoded[schema.Party](ctx, c, schema.PartyRef(id))
}

// Offering returns the current state of an offering.
func (c *Client) Offering(ctx context.Context, id string) (*schema.Offering, error) {
	return decoded[schema.Offering](ctx, c, schema.OfferingRef(id))
}

// OfferingVersion returns a version of an offering, as submitted.
func (c *Client) OfferingVersion(ctx context.Context, id string, v schema.Uint) (*schema.OfferingVersion, error) {
	return decoded[schema.OfferingVersion](ctx, c, schema.OfferingVersionRef(id, v))
}

// PriceModel returns a price-model version of an offering.
func (c *Client) PriceModel(ctx context.Context, offering string, v schema.Uint) (*schema.PriceModel, error) {
	return decoded[schema.PriceModel](ctx, c, schema.PriceModelRef(offering, v))
}

// Agreement returns an agreement.
func (c *Client) Agreement(ctx context.Context, id string) (*schema.Agreement, error) {
	return decoded[schema.Agreement](ctx, c, schema.AgreementRef(id))
}

// FeeVersion returns a fee version of an agreement.
func (c *Client) FeeVersion(ctx context.Context, agreement string, v schema.Uint) (*schema.FeeVersion, error) {
	return decoded[schema.FeeVersion](ctx, c, schema.FeeVersionRef(agreement, v))
}

// EndorsementPolicy returns the member orgs whose peers must endorse every
// change of an agreement.
func (c *Client) EndorsementPolicy(ctx context.Context, agreement string) ([]string, error) {
	return query[[]string](ctx, c, schema.FnGetEndorsementPolicy, agreement)
}

// HistoryPage returns a page of the committed changes of a record, newest
// first.
func (c *Client) HistoryPage(ctx context.Context, ref schema.Ref, p PageRequest) (*schema.Page[schema.HistoryEntry], error) {
	return query[*schema.Page[schema.HistoryEntry]](ctx, c, schema.FnHistory, append([]string{string(ref.Record), ref.String()}, pageArgs(p)...)...)
}

// History returns every committed change of a record, newest first.
func (c *Client) History(ctx context.Context, ref schema.Ref) ([]schema.HistoryEntry, error) {
	var out []schema.HistoryEntry
	p := PageRequest{Size: 1000}
	for {
		page, err := c.HistoryPage(ctx, ref, p)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.Bookmark == "" {
			return out, nil
		}
		p.Bookmark = page.Bookmark
	}
}

// ActsPage returns a page of the signed acts on a record (party, offering
// or agreement), oldest first, as stored.
func (c *Client) ActsPage(ctx context.Context, ref schema.Ref, p PageRequest) (*schema.Page[json.RawMessage], error) {
	return query[*schema.Page[json.RawMessage]](ctx, c, schema.FnListActs, append([]string{string(ref.Record), ref.ID}, pageArgs(p)...)...)
}

// LoggedAct returns the seq-th signed act (from 1) on a record (party,
// offering or agreement), as stored.
func (c *Client) LoggedAct(ctx context.Context, ref schema.Ref, seq schema.Uint) (json.RawMessage, error) {
	return c.Evaluate(ctx, schema.FnGetAct, string(ref.Record), ref.ID, strconv.FormatUint(uint64(seq), 10))
}

// Acts returns every signed act on a record, oldest first, as stored.
func (c *Client) Acts(ctx context.Context, ref schema.Ref) ([]json.RawMessage, error) {
	var out []json.RawMessage
	p := PageRequest{Size: 1000}
	for {
		page, err := c.ActsPage(ctx, ref, p)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.Bookmark == "" {
			return out, nil
		}
		p.Bookmark = page.Bookmark
	}
}

// Domain returns the EIP-712 domain of the channel, as the chaincode states it.
func (c *Client) Domain(ctx context.Context) (apitypes.TypedDataDomain, error) {
	return query[apitypes.TypedDataDomain](ctx, c, schema.FnGetDomain)
}

// Filter narrows a listing (schema.Filter).
type Filter = schema.Filter

// PageRequest asks for a page of a listing (schema.PageRequest).
type PageRequest = schema.PageRequest

// pageArgs are a page request as the chaincode's listings take it.
func pageArgs(p PageRequest) []string {
	size := ""
	if p.Size > 0 {
		size = strconv.Itoa(p.Size)
	}
	return []string{size, p.Bookmark}
}

// Offerings returns a page of offerings, as the ledger stores them.
func (c *Client) Offerings(ctx context.Context, f Filter, p PageRequest) (*schema.Page[json.RawMessage], error) {
	return query[*schema.Page[json.RawMessage]](ctx, c, schema.FnListOfferings, append([]string{f.By, f.Value}, pageArgs(p)...)...)
}

// Agreements returns a page of agreements, as the ledger stores them.
func (c *Client) Agreements(ctx context.Context, f Filter, p PageRequest) (*schema.Page[json.RawMessage], error) {
	return query[*schema.Page[json.RawMessage]](ctx, c, schema.FnListAgreements, append([]string{f.By, f.Value}, pageArgs(p)...)...)
}

// PriceModels returns a page of an offering's price-model versions, oldest first.
func (c *Client) PriceModels(ctx context.Context, offering string, p PageRequest) (*schema.Page[json.RawMessage], error) {
	return query[*schema.Page[json.RawMessage]](ctx, c, schema.FnListPriceModels, append([]string{offering}, pageArgs(p)...)...)
}

// decoded reads a record and decodes it.
func decoded[T any](ctx context.Context, c *Client, ref schema.Ref) (*T, error) {
	raw, err := c.Record(ctx, ref)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("client: decode %s %s: %w", ref.Record, ref, err)
	}
	return v, nil
}

// query evaluates a query and decodes its JSON answer.
func query[T any](ctx context.Context, c *Client, function string, args ...string) (T, error) {
	var out T
	raw, err := c.Evaluate(ctx, function, args...)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("client: decode %s: %w", function, err)
	}
	return out, nil
}
