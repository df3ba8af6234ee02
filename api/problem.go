package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/gin-gonic/gin"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Problem is an RFC 9457 problem detail, extended with the field and rule
// the chaincode names, the request id and, when the ledger saw one, the
// transaction id.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code,omitempty"`  // invalid, unauthorized, forbidden, not_found, conflict, unavailable, …
	Field     string `json:"field,omitempty"` // the offending input, e.g. message.ars
	Rule      string `json:"rule,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	TxID      string `json:"txId,omitempty"`
}

// problemTypeBase prefixes the problem types; each code has its own.
const problemTypeBase = "https://efa-registry.example/problems/"

// codeStatus maps registry error codes to HTTP statuses: the one place.
var codeStatus = map[schema.Code]int{
	schema.CodeInvalid:      http.StatusBadRequest,
	schema.CodeUnauthorized: http.StatusUnauthorized,
	schema.CodeForbidden:    http.StatusForbidden,
	schema.CodeNotFound:     http.StatusNotFound,
	schema.CodeConflict:     http.StatusConflict,
}

func (p *Problem) Error() string {
	return fmt.Sprintf("%d %s: %s %s", p.Status, p.Code, p.Field, p.Rule)
}

func newProblem(status int, code, field, rule string) *Problem {
	return &Problem{Type: problemTypeBase + code, Title: http.StatusText(status), Status: status, Code: code, Field: field, Rule: rule, Detail: rule}
}

// problemFor classifies any error a handler met. Everything a client can
// cause is a 4xx; the ledger being out of reach is a 503 with Retry-After.
func problemFor(err error) *Problem {
	var (
		p    *Problem
		re   *schema.Error
		ce   *client.CommitError
		ee   *client.EndorseError
		se   *client.SubmitError
		cse  *client.CommitStatusError
		txID string
	)
	switch {
	case errors.As(err, &ee):
		txID = ee.TxID
	case errors.As(err, &se):
		txID = se.TxID
	case errors.As(err, &cse):
		txID = cse.TxID
	}
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &re):
		status, ok := codeStatus[re.Code]
		if !ok {
			status = http.StatusBadRequest
		}
		p = newProblem(status, string(re.Code), re.Field, re.Rule)
	case errors.As(err, &ce):
		p = newProblem(http.StatusConflict, "conflict", "", fmt.Sprintf("the transaction was ordered but not applied: %s", ce.ValidationCode))
		if ce.ValidationCode == peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			p.Rule = "the endorsements do not satisfy the policy of a written key (" + ce.ValidationCode.String() + ")"
		}
		txID = ce.TxID
	case errors.Is(err, client.ErrNoEvidence):
		p = newProblem(http.StatusNotImplemented, "not_implemented", "", "this API's ledger backend cannot export ledger evidence")
	case errors.Is(err, client.ErrUnavailable), errors.As(err, &se), errors.As(err, &cse):
		p = newProblem(http.StatusServiceUnavailable, "unavailable", "", "the ledger cannot take or confirm transactions right now; retry later")
	default:
		p = newProblem(http.StatusInternalServerError, "internal", "", "internal error")
	}
	p.TxID = txID
	return p
}

// abort answers a request with a problem.
func abort(c *gin.Context, err error) {
	p := problemFor(err)
	q := *p
	q.Instance = c.Request.URL.Path
	q.RequestID = c.GetString(requestIDKey)
	if q.TxID != "" {
		c.Set(txIDKey, q.TxID)
	}
	if q.Status == http.StatusServiceUnavailable || q.Status == http.StatusTooManyRequests {
		c.Header("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	if q.Status >= 500 {
		c.Set(errorKey, err)
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(q.Status, q)
}

// retryAfterSeconds is what a 503 or 429 asks clients to wait.
const retryAfterSeconds = 5

func badRequest(field, format string, args ...any) *Problem {
	return newProblem(http.StatusBadRequest, "invalid", field, fmt.Sprintf(format, args...))
}
