package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/webhook"
	"github.com/gin-gonic/gin"
)

// Subscriptions is the answer of GET /v1/webhooks.
type Subscriptions struct {
	Items []*webhook.Subscription `json:"items"`
}

// webhooks answers 404 without a webhook service, and checks the member.
func (a *API) webhooks(c *gin.Context) bool {
	if a.cfg.Webhooks == nil {
		abort(c, newProblem(http.StatusNotFound, "not_found", "", "this server runs no webhooks"))
		return false
	}
	return a.requireMember(c)
}

func webhookErr(err error) error {
	if errors.Is(err, webhook.ErrNotFound) {
		return newProblem(http.StatusNotFound, "not_found", "id", "no such subscription")
	}
	return err
}

// checkSubscription checks a registration field by field.
func checkSubscription(n *webhook.NewSubscription) error {
	u, err := url.Parse(n.URL)
	if n.URL == "" || len(n.URL) > 2000 || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return badRequest("url", "must be an absolute http or https URL without credentials, at most 2000 characters")
	}
	if n.Secret != "" && (len(n.Secret) < 16 || len(n.Secret) > 200 || !utf8.ValidString(n.Secret)) {
		return badRequest("secret", "must be 16 to 200 characters, or absent to have one generated")
	}
	if n.After != "" {
		if _, err := readmodel.ParsePosition(n.After); err != nil {
			return badRequest("after", "must be an event id (block-txIndex), e.g. 0-0 for every event")
		}
	}
	for name, v := range map[string]string{"filter.record": n.Filter.Record, "filter.id": n.Filter.ID, "filter.party": n.Filter.Party} {
		if len(v) > 200 {
			return badRequest(name, "must be at most 200 characters")
		}
	}
	if len(n.Filter.Acts) > 50 {
		return badRequest("filter.acts", "must name at most 50 act types")
	}
	for _, act := range n.Filter.Acts {
		if act == "" || len(act) > 100 {
			return badRequest("filter.acts", "must be act types of 1 to 100 characters")
		}
	}
	return nil
}

func (a *API) createWebhook(c *gin.Context) {
	if !a.webhooks(c) {
		return
	}
	raw, err := readBody(c)
	if err != nil {
		abort(c, err)
		return
	}
	var n webhook.NewSubscription
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		field := ""
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field = te.Field
		} else if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field = strings.Trim(f, `"`)
		}
		abort(c, badRequest(field, "the body must be a subscription: url, filter {record, id, party, acts}, secret, after"))
		return
	}
	if err := checkSubscription(&n); err != nil {
		abort(c, err)
		return
	}
	created, err := a.cfg.Webhooks.Create(c.Request.Context(), n)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, created)
}

func (a *API) listWebhooks(c *gin.Context) {
	if !a.webhooks(c) {
		return
	}
	subs, err := a.cfg.Webhooks.List(c.Request.Context())
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, Subscriptions{Items: subs})
}

func (a *API) getWebhook(c *gin.Context) {
	if !a.webhooks(c) {
		return
	}
	sub, err := a.cfg.Webhooks.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		abort(c, webhookErr(err))
		return
	}
	c.JSON(http.StatusOK, sub)
}

func (a *API) deleteWebhook(c *gin.Context) {
	if !a.webhooks(c) {
		return
	}
	if err := a.cfg.Webhooks.Delete(c.Request.Context(), c.Param("id")); err != nil {
		abort(c, webhookErr(err))
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) resumeWebhook(c *gin.Context) {
	if !a.webhooks(c) {
		return
	}
	sub, err := a.cfg.Webhooks.Resume(c.Request.Context(), c.Param("id"))
	if err != nil {
		abort(c, webhookErr(err))
		return
	}
	c.JSON(http.StatusOK, sub)
}
