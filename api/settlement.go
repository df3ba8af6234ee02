package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/einvoice"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/gin-gonic/gin"
)

// recordFigures records a batch of reference figures on the member's
// authority.
func (a *API) recordFigures() gin.HandlerFunc {
	return memberCall(a, schema.DecodeFigureBatch, func(c *gin.Context, b *schema.FigureBatch) (*client.Result, error) {
		return a.cfg.Admin.RecordFigures(c.Request.Context(), *b)
	}, func(c *gin.Context, res *client.Result) { a.stampedList(c, http.StatusCreated, res) })
}

// setDetails replaces what invoices need of a party, on the member's
// authority.
func (a *API) setDetails() gin.HandlerFunc {
	return memberCall(a, schema.DecodeDetails, func(c *gin.Context, d *schema.PartyDetails) (*client.Result, error) {
		return a.cfg.Admin.SetPartyDetails(c.Request.Context(), c.Param("id"), *d)
	}, a.answerStamped(http.StatusOK))
}

// RecordedFigures is the answer to a batch of figures: the figures as
// recorded and the transaction.
type RecordedFigures struct {
	Figures []json.RawMessage `json:"figures"`
	Stamped
}

// stampedList answers with a list the transaction wrote, and the
// transaction.
func (a *API) stampedList(c *gin.Context, status int, res *client.Result) {
	if !a.awaitReadModel(c, res) {
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(res.Payload, &items); err != nil {
		abort(c, err)
		return
	}
	c.JSON(status, RecordedFigures{Figures: items, Stamped: Stamped{TxID: res.TxID, BlockNumber: schema.Uint(res.BlockNumber)}})
}

// AllocationAnswer is an offering's allocation for a year: a published
// version (1 or more) with the supplier's act, or the one the ledger gives
// now (version 0, no act).
type AllocationAnswer struct {
	schema.Allocation
	Version   schema.Uint       `json:"version"`
	Published *schema.SignedAct `json:"published,omitempty"`
}

// allocation reads the allocation of an offering for a year: ?version=N
// a published version; ?priceModel=N computes it under a price-model
// version; by default the newest published one, else the one computed now.
func allocation(cl *client.Client) reader {
	return func(ctx context.Context, c *gin.Context) ([]byte, error) {
		year, err := schema.ParseVersion("year", c.Param("year"))
		if err != nil {
			return nil, err
		}
		var version, pm schema.Uint
		if s := c.Query("version"); s != "" {
			if version, err = schema.ParseVersion("version", s); err != nil {
				return nil, err
			}
		}
		if s := c.Query("priceModel"); s != "" {
			if pm, err = schema.ParseVersion("priceModel", s); err != nil {
				return nil, err
			}
		}
		if pm == 0 {
			published, err := cl.Allocation(ctx, c.Param("id"), year, version)
			switch {
			case err == nil:
				return json.Marshal(AllocationAnswer{Allocation: published.Allocation, Version: published.Version, Published: &published.Published})
			case version > 0 || !isNotFound(err):
				return nil, err
			}
		}
		computed, err := cl.ComputeAllocation(ctx, c.Param("id"), year, pm)
		if err != nil {
			return nil, err
		}
		return json.Marshal(AllocationAnswer{Allocation: *computed})
	}
}

// isNotFound reports whether the ledger refused a read as naming nothing.
func isNotFound(err error) bool {
	var re *schema.Error
	return errors.As(err, &re) && re.Code == schema.CodeNotFound
}

// xrechnung answers an invoice as XRechnung (UBL 2.1 XML).
func (a *API) xrechnung(c *gin.Context) {
	ctx := c.Request.Context()
	cl := a.cfg.Client
	inv, err := cl.Invoice(ctx, c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	seller, err := cl.Party(ctx, inv.Anbieter)
	if err != nil {
		abort(c, err)
		return
	}
	buyer, err := cl.Party(ctx, inv.Customer)
	if err != nil {
		abort(c, err)
		return
	}
	var corrected *schema.Invoice
	if inv.Corrects != "" {
		if corrected, err = cl.Invoice(ctx, inv.Corrects); err != nil {
			abort(c, err)
			return
		}
	}
	doc, err := einvoice.Render(inv, seller, buyer, corrected)
	if errors.Is(err, einvoice.ErrIncomplete) {
		abort(c, schema.Conflict("id", "%s", strings.TrimPrefix(err.Error(), einvoice.ErrIncomplete.Error()+": ")))
		return
	}
	if err != nil {
		abort(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf("attachment; filename=%q", strings.ReplaceAll(inv.ID, ":", "_")+".xml"))
	c.Data(http.StatusOK, "application/xml; charset=utf-8", doc)
}
