package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/gin-gonic/gin"
)

// replayHeader marks the answer to an act sent again: the act had been
// committed before, and the answer is that first transaction's.
const replayHeader = "Idempotent-Replay"

// readBody reads a request body within the size limit.
func readBody(c *gin.Context) ([]byte, error) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newProblem(http.StatusRequestEntityTooLarge, "too_large", "body", fmt.Sprintf("the body exceeds %d bytes", tooBig.Limit))
		}
		return nil, badRequest("body", "cannot be read")
	}
	return raw, nil
}

// actHandler relays a party's act: the body decodes once into a schema.Act
// (message checked, authority from the signatures present), the message is
// bound to the path, the signatures' form is checked, and the act is
// submitted. The chaincode recovers the signer — never read from the body —
// and decides; the one recovery an act needs is done there.
func (a *API) actHandler(r route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !a.limiter.allow(c.ClientIP()) {
			abort(c, newProblem(http.StatusTooManyRequests, "rate_limited", "", "too many acts from this client; retry later"))
			return
		}
		raw, err := readBody(c)
		if err != nil {
			abort(c, err)
			return
		}
		var req schema.ActRequest
		if err := schema.DecodeStrict("", raw, &req); err != nil {
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
		if err := act.CheckSignatures(); err != nil {
			abort(c, err)
			return
		}
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
		status := r.status
		if res.Replayed { // sent again: the original transaction answers
			c.Header(replayHeader, "true")
			status = http.StatusOK
		}
		a.stamped(c, status, res)
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
//
// The record's JSON is passed on as the chaincode wrote it: the stamp is
// appended to the object, nothing is decoded and encoded again.
func (a *API) stamped(c *gin.Context, status int, res *client.Result) {
	if !a.awaitReadModel(c, res) {
		return
	}
	stamp, err := json.Marshal(Stamped{TxID: res.TxID, BlockNumber: schema.Uint(res.BlockNumber)})
	if err != nil {
		abort(c, err)
		return
	}
	out, err := schema.AddMembers(res.Payload, stamp)
	if err != nil {
		abort(c, fmt.Errorf("the ledger's answer: %w", err))
		return
	}
	c.Data(status, "application/json; charset=utf-8", out)
}

// awaitReadModel returns once the read model has the transaction's block,
// so that reads after the answer see the act; false if it answered with a
// problem.
func (a *API) awaitReadModel(c *gin.Context, res *client.Result) bool {
	c.Set(txIDKey, res.TxID)
	if a.cfg.ReadModel == nil {
		return true
	}
	if err := a.cfg.ReadModel.WaitFor(c.Request.Context(), res.BlockNumber); err != nil {
		abort(c, fmt.Errorf("%w: %w", newProblem(http.StatusServiceUnavailable, "read_model", "",
			"the act is committed (txId "+res.TxID+"), but the read model has not reached it"), err))
		return false
	}
	return true
}

// memberCall serves a member-administration call: the member's token,
// the body decoded strictly by decode, one call as the member's admin
// identity, and the answer.
func memberCall[T any](a *API, decode func([]byte) (T, error), call func(c *gin.Context, v T) (*client.Result, error), answer func(c *gin.Context, res *client.Result)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !a.requireMember(c) {
			return
		}
		raw, err := readBody(c)
		if err != nil {
			abort(c, err)
			return
		}
		v, err := decode(raw)
		if err != nil {
			abort(c, err)
			return
		}
		res, err := call(c, v)
		if err != nil {
			abort(c, err)
			return
		}
		answer(c, res)
	}
}

// answerStamped answers with the changed record and the transaction.
func (a *API) answerStamped(status int) func(*gin.Context, *client.Result) {
	return func(c *gin.Context, res *client.Result) { a.stamped(c, status, res) }
}

// registerParty registers a party on the member's authority.
func (a *API) registerParty() gin.HandlerFunc {
	return memberCall(a, schema.DecodeRegistration, func(c *gin.Context, reg *schema.PartyRegistration) (*client.Result, error) {
		return a.cfg.Admin.RegisterParty(c.Request.Context(), *reg)
	}, a.answerStamped(http.StatusCreated))
}

// setInHouse replaces the Anbieter a party may order from in-house.
func (a *API) setInHouse() gin.HandlerFunc {
	return memberCall(a, schema.DecodeInHouse, func(c *gin.Context, ids []string) (*client.Result, error) {
		return a.cfg.Admin.SetInHouse(c.Request.Context(), c.Param("id"), ids)
	}, a.answerStamped(http.StatusOK))
}
