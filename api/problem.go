package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/gin-gonic/gin"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Problem is an RFC 9457 problem detail, extended with the field and rule
// the chaincode names, the request id and, when a transaction was ordered
// and its writes are not known to be applied, the transaction id and what
// became of it.
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
	// TxID names a transaction that reached ordering; TxStatus says what
	// became of it. A refused act (the chaincode refused it, or it never
	// reached ordering) carries neither: nothing of it is on the ledger.
	TxID     string `json:"txId,omitempty"`
	TxStatus string `json:"txStatus,omitempty"` // TxInvalid or TxUnknown
}

// The values of Problem.TxStatus.
const (
	// TxInvalid: the transaction was ordered into a block but marked
	// invalid (its validation code is in the rule); its writes were not applied.
	TxInvalid = "invalid"
	// TxUnknown: the outcome could not be learned; the transaction may
	// still commit. Look it up by its id before acting again.
	TxUnknown = "unknown"
)

// problemTypeBase prefixes the problem types; each code has its own.
const problemTypeBase = "https://efa-registry.example/problems/"

// codeStatus maps registry error codes to HTTP statuses.
var codeStatus = map[schema.Code]int{
	schema.CodeInvalid:   http.StatusBadRequest,
	schema.CodeForbidden: http.StatusForbidden,
	schema.CodeNotFound:  http.StatusNotFound,
	schema.CodeConflict:  http.StatusConflict,
}

// The bounds of what a problem echoes: a rule or detail is a sentence, a
// field a JSON path. Longer text is clipped (with an ellipsis), so that no
// problem carries input back unbounded.
const (
	maxRuleRunes     = 500
	maxFieldRunes    = 200
	maxInstanceRunes = 500
)

func (p *Problem) Error() string {
	return fmt.Sprintf("%d %s: %s %s", p.Status, p.Code, p.Field, p.Rule)
}

func newProblem(status int, code, field, rule string) *Problem {
	return &Problem{Type: problemTypeBase + code, Title: http.StatusText(status), Status: status, Code: code, Field: field, Rule: rule, Detail: rule}
}

// problemFor classifies any error a handler met: the one mapping from the
// client's typed errors to statuses, codes and transaction ids. Everything
// a client can cause is a 4xx; the ledger being out of reach is a 503 with
// Retry-After. In order:
//
//	error                                  status            txId, txStatus
//	*Problem                               its own           its own
//	*schema.Error (a chaincode refusal,    by its code       none: refused before ordering
//	  e.g. in a *client.EndorseError)
//	*client.CommitError                    409 conflict      txId, "invalid"
//	client.ErrNoEvidence                   501
//	*client.CommitStatusError              503 unavailable   txId, "unknown"
//	*client.SubmitError, ErrUnavailable    503 unavailable   none: never ordered
//	anything else                          500 internal
func problemFor(err error) *Problem {
	var (
		p   *Problem
		re  *schema.Error
		ce  *client.CommitError
		se  *client.SubmitError
		cse *client.CommitStatusError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &re):
		status, ok := codeStatus[re.Code]
		if !ok {
			status = http.StatusBadRequest
		}
		return newProblem(status, string(re.Code), re.Field, re.Rule)
	case errors.As(err, &ce):
		p = newProblem(http.StatusConflict, "conflict", "", fmt.Sprintf("the transaction was ordered but not applied: %s", ce.ValidationCode))
		if ce.ValidationCode == peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			p.Rule = "the endorsements do not satisfy the policy of a written key (" + ce.ValidationCode.String() + ")"
			p.Detail = p.Rule
		}
		p.TxID, p.TxStatus = ce.TxID, TxInvalid
		return p
	case errors.Is(err, client.ErrNoEvidence):
		return newProblem(http.StatusNotImplemented, "not_implemented", "", "this API's ledger backend cannot export ledger evidence")
	case errors.As(err, &cse):
		p = newProblem(http.StatusServiceUnavailable, "unavailable", "",
			"the transaction was submitted but its outcome could not be learned: it may still commit; look it up by txId before acting again")
		p.TxID, p.TxStatus = cse.TxID, TxUnknown
		return p
	case errors.Is(err, context.Canceled):
		// The client went away (nginx's 499): nothing failed here.
		return newProblem(statusClientClosed, "client_closed", "", "the client closed the request before it was answered")
	case errors.Is(err, client.ErrUnavailable), errors.As(err, &se):
		return newProblem(http.StatusServiceUnavailable, "unavailable", "", "the ledger cannot take or confirm transactions right now; retry later")
	default:
		return newProblem(http.StatusInternalServerError, "internal", "", "internal error")
	}
}

// statusClientClosed is the status logged for a request whose client hung
// up (nginx's 499; nobody receives it).
const statusClientClosed = 499

// abort answers a request with a problem.
func abort(c *gin.Context, err error) {
	p := problemFor(err)
	q := *p
	q.Instance = c.Request.URL.Path
	q.RequestID = c.GetString(requestIDKey)
	q.Detail, q.Rule = clip(q.Detail, maxRuleRunes), clip(q.Rule, maxRuleRunes)
	q.Field, q.Instance = clip(q.Field, maxFieldRunes), clip(q.Instance, maxInstanceRunes)
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

// clip shortens s to at most n characters (runes), the last of them an
// ellipsis when anything was cut.
func clip(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// retryAfterSeconds is what a 503 or 429 asks clients to wait.
const retryAfterSeconds = 5

func badRequest(field, format string, args ...any) *Problem {
	return newProblem(http.StatusBadRequest, "invalid", field, fmt.Sprintf(format, args...))
}
