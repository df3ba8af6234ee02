package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/gin-gonic/gin"
)

// decodeJSON reads a body strictly into v.
func decodeJSON(c *gin.Context, v any) error {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newProblem(http.StatusRequestEntityTooLarge, "too_large", "body", fmt.Sprintf("the body exceeds %d bytes", tooBig.Limit))
		}
		return badRequest("body", "cannot be read: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("body", "must be JSON of the documented shape: %v", err)
	}
	if dec.More() {
		return badRequest("body", "must be one JSON value, without trailing data")
	}
	return nil
}

// actHandler relays a party's act: the body decodes once into a schema.Act
// (message checked, authority from the signatures present), the message is
// bound to the path, the signer is recovered — never read from the body —
// and the act is submitted; the chaincode decides.
func (a *API) actHandler(r route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !a.limiter.allow(c.ClientIP()) {
			abort(c, newProblem(http.StatusTooManyRequests, "rate_limited", "", "too many acts from this client; retry later"))
			return
		}
		var req schema.ActRequest
		if err := decodeJSON(c, &req); err != nil {
			abort(c, err)
			return
		}
		act, err := schema.DecodeAct(r.act, req)
		if err != nil {
			abort(c, err)
			return
		}
		if r.pathField != "" {
			v, _, err := act.Field(r.pathField)
			if err != nil {
				abort(c, err)
				return
			}
			if v != c.Param("id") {
				abort(c, badRequest("message."+r.pathField, "must equal the %s in the path (%s)", r.pathField, c.Param("id")))
				return
			}
		}
		if act.Authority == schema.ByMember && !a.requireMember(c) {
			return
		}
		signer, err := act.Signer(a.cfg.Channel)
		if err != nil {
			abort(c, err)
			return
		}
		c.Set(signerKey, signer.Hex())
		relay := a.cfg.Client
		if act.Authority == schema.ByMember {
			relay = a.cfg.Admin
		}
		res, err := relay.Act(c.Request.Context(), act)
		a.countSubmit(r.act, err)
		if err != nil {
			abort(c, err)
			return
		}
		a.stamped(c, r.status, res)
	}
}

// countSubmit records the outcome of a relayed act.
func (a *API) countSubmit(act string, err error) {
	outcome := "VALID"
	var (
		ce *client.CommitError
		re *schema.Error
	)
	switch {
	case err == nil:
	case errors.As(err, &re):
		outcome = "refused_" + string(re.Code)
	case errors.As(err, &ce):
		outcome = ce.ValidationCode.String()
	case errors.Is(err, client.ErrUnavailable):
		outcome = "unavailable"
	default:
		outcome = "error"
	}
	a.metrics.submits.WithLabelValues(act, outcome).Inc()
}

// stamped answers with the record a transaction changed (its payload) and
// the transaction.
func (a *API) stamped(c *gin.Context, status int, res *client.Result) {
	c.Set(txIDKey, res.TxID)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(res.Payload, &obj); err != nil {
		abort(c, fmt.Errorf("decode record: %w", err))
		return
	}
	obj["txId"], _ = json.Marshal(res.TxID)
	obj["blockNumber"], _ = json.Marshal(res.BlockNumber)
	c.JSON(status, obj)
}

func (a *API) registerParty(c *gin.Context) {
	if !a.requireMember(c) {
		return
	}
	var reg schema.PartyRegistration
	if err := decodeJSON(c, &reg); err != nil {
		abort(c, err)
		return
	}
	res, err := a.cfg.Admin.RegisterParty(c.Request.Context(), reg)
	if err != nil {
		abort(c, err)
		return
	}
	a.stamped(c, http.StatusCreated, res)
}

func (a *API) setInHouse(c *gin.Context) {
	if !a.requireMember(c) {
		return
	}
	var ids []string
	if err := decodeJSON(c, &ids); err != nil {
		abort(c, err)
		return
	}
	res, err := a.cfg.Admin.SetInHouse(c.Request.Context(), c.Param("id"), ids)
	if err != nil {
		abort(c, err)
		return
	}
	a.stamped(c, http.StatusOK, res)
}
