package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/gin-gonic/gin"
)

var (
	uintType = reflect.TypeOf(schema.Uint(0))
	rawType  = reflect.TypeOf(json.RawMessage(nil))
)

// schemaOf derives a JSON schema from a Go type, as encoding/json writes it.
func schemaOf(v any, schemas openapi3.Schemas) (*openapi3.SchemaRef, error) {
	return openapi3gen.NewSchemaRefForValue(v, schemas, openapi3gen.SchemaCustomizer(
		func(_ string, t reflect.Type, _ reflect.StructTag, s *openapi3.Schema) error {
			switch t {
			case uintType:
				*s = *openapi3.NewStringSchema().WithPattern(`^(0|[1-9][0-9]*)$`)
				s.Description = "unsigned 64-bit integer as a decimal string"
			case rawType:
				*s = openapi3.Schema{}
			}
			return nil
		}))
}

// OpenAPI builds the OpenAPI 3 document of the API from its route table.
func (a *API) OpenAPI() (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "EfA contract registry — REST API v1",
			Version: "1.0.0",
			Description: "Offerings, price-model versions and usage agreements of the EfA marketplace on a permissioned ledger. " +
				"Acts carry the acting party's EIP-712 message and signature (GET /v1/eip712 has the domain and types); " +
				"the signer is recovered, never taken from the body. Errors are RFC 9457 problems naming the field.",
		},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}, SecuritySchemes: openapi3.SecuritySchemes{}},
	}
	doc.Components.SecuritySchemes["member"] = &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("opaque member token")}
	problem, err := schemaOf(Problem{}, doc.Components.Schemas)
	if err != nil {
		return nil, err
	}
	doc.Components.Schemas["Problem"] = problem
	problemRef := &openapi3.SchemaRef{Ref: "#/components/schemas/Problem", Value: problem.Value}
	stamped, err := schemaOf(Stamped{}, doc.Components.Schemas)
	if err != nil {
		return nil, err
	}

	for _, r := range a.table {
		path := openAPIPath(r.path)
		op := openapi3.NewOperation()
		op.Summary, op.Tags = r.summary, []string{r.tag}
		op.OperationID = operationID(r.method, path)
		for _, name := range pathParams(path) {
			op.AddParameter(openapi3.NewPathParameter(name).WithSchema(openapi3.NewStringSchema()))
		}
		for _, q := range r.query {
			op.AddParameter(openapi3.NewQueryParameter(q.name).WithDescription(q.description).WithSchema(openapi3.NewStringSchema()))
		}
		if r.member {
			op.Security = &openapi3.SecurityRequirements{{"member": {}}}
		}
		var respSchema *openapi3.SchemaRef
		switch {
		case r.act != "":
			ab := r.body.(actBody)
			msg, err := schemaOf(ab.Message, doc.Components.Schemas)
			if err != nil {
				return nil, fmt.Errorf("api: schema of %s: %w", r.act, err)
			}
			body := openapi3.NewObjectSchema().
				WithProperty("signature", openapi3.NewStringSchema().WithPattern(`^0x[0-9a-fA-F]{130}$`)).
				WithProperty("proofOfPossession", openapi3.NewStringSchema().WithPattern(`^0x[0-9a-fA-F]{130}$`))
			body.Properties["message"] = msg
			body.Required = []string{"message"}
			body.Description = fmt.Sprintf("EIP-712 primary type %s, signed by the acting party", r.act)
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchema(body)}
			rec, err := schemaOf(actRecord(r.act), doc.Components.Schemas)
			if err != nil {
				return nil, err
			}
			respSchema = openapi3.NewAllOfSchema(rec.Value, stamped.Value).NewRef()
			if r.act == schema.TypeAddKey || r.act == schema.TypeRevokeKey {
				op.Security = &openapi3.SecurityRequirements{{}, {"member": {}}}
			}
		case r.body != nil:
			s, err := schemaOf(r.body, doc.Components.Schemas)
			if err != nil {
				return nil, err
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchema(s.Value)}
			fallthrough
		default:
			if r.response == nil {
				break
			}
			s, err := schemaOf(r.response, doc.Components.Schemas)
			if err != nil {
				return nil, err
			}
			respSchema = s
			if r.list {
				page := openapi3.NewObjectSchema().WithProperty("nextCursor", openapi3.NewStringSchema())
				page.Properties["items"] = openapi3.NewArraySchema().WithItems(s.Value).NewRef()
				page.Required = []string{"items"}
				respSchema = page.NewRef()
			}
			if r.body != nil && r.response != nil {
				respSchema = openapi3.NewAllOfSchema(s.Value, stamped.Value).NewRef()
			}
		}
		resp := openapi3.NewResponse().WithDescription(http.StatusText(r.status))
		switch {
		case r.path == "/metrics":
			resp.WithContent(openapi3.Content{"text/plain": openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())})
		case r.path == "/v1/events":
			resp.WithContent(openapi3.Content{"text/event-stream": openapi3.NewMediaType().WithSchemaRef(respSchema)})
		case strings.HasSuffix(r.path, ".xml"):
			resp.WithContent(openapi3.Content{"application/xml": openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema())})
		case respSchema != nil:
			resp.WithJSONSchemaRef(respSchema)
		}
		op.AddResponse(r.status, resp)
		if r.act != "" {
			replay := openapi3.NewResponse().WithJSONSchemaRef(respSchema).
				WithDescription("The act had been committed before: it was sent again (the same message and signature), and this is the first transaction's answer (Idempotent-Replay: true)")
			replay.Headers = openapi3.Headers{replayHeader: &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "true: this answer is the first commit's", Schema: openapi3.NewStringSchema().WithEnum("true").NewRef()}}}}
			if r.status == http.StatusOK {
				resp.Headers = replay.Headers
				resp.WithDescription(http.StatusText(r.status) + " (or, with Idempotent-Replay: true, the first commit's answer to an act sent again)")
			} else {
				op.AddResponse(http.StatusOK, replay)
			}
		}
		problems := []int{http.StatusBadRequest, http.StatusNotFound, http.StatusServiceUnavailable}
		if r.method == http.MethodPost || r.method == http.MethodPut {
			problems = append(problems, http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusRequestEntityTooLarge,
				http.StatusUnsupportedMediaType)
		} else if r.tag == "settlement" {
			// What the ledger holds may not suffice: a figure an allocation
			// needs, a detail an XRechnung needs.
			problems = append(problems, http.StatusConflict)
		}
		if r.act != "" {
			problems = append(problems, http.StatusTooManyRequests)
		}
		for _, status := range problems {
			op.AddResponse(status, openapi3.NewResponse().WithDescription(http.StatusText(status)).
				WithContent(openapi3.Content{"application/problem+json": openapi3.NewMediaType().WithSchemaRef(problemRef)}))
		}
		doc.AddOperation(path, r.method, op)
	}
	return doc, nil
}

// actRecord is the record an act answers with.
func actRecord(act string) any {
	switch act {
	case schema.TypeAddKey, schema.TypeRevokeKey:
		return schema.Party{}
	case schema.TypeSubmitOffering, schema.TypeAcceptOffering, schema.TypeWithdrawOffering:
		return schema.Offering{}
	case schema.TypePublishPriceModel:
		return schema.PriceModel{}
	case schema.TypeReportUsage:
		return schema.Figure{}
	case schema.TypePublishAllocation:
		return schema.PublishedAllocation{}
	case schema.TypeAdjustFees:
		return schema.FeeAdjustment{}
	case schema.TypeIssueInvoice:
		return schema.Invoice{}
	}
	return schema.Agreement{}
}

var paramPattern = regexp.MustCompile(`\{([a-z]+)\}`)

func pathParams(path string) []string {
	var out []string
	for _, m := range paramPattern.FindAllStringSubmatch(path, -1) {
		out = append(out, m[1])
	}
	return out
}

func operationID(method, path string) string {
	id := strings.ToLower(method)
	for _, part := range strings.Split(path, "/") {
		part = strings.Trim(part, "{}.")
		if part == "" || part == "v1" {
			continue
		}
		part = strings.NewReplacer("-", "", ".", "").Replace(part)
		id += strings.ToUpper(part[:1]) + part[1:]
	}
	return id
}

// openAPIDoc is the document, built once per API.
type openAPIDoc struct {
	once sync.Once
	raw  []byte
	err  error
}

func (a *API) openAPI(c *gin.Context) {
	a.doc.once.Do(func() {
		doc, err := a.OpenAPI()
		if err != nil {
			a.doc.err = err
			return
		}
		a.doc.raw, a.doc.err = json.Marshal(doc)
	})
	if a.doc.err != nil {
		abort(c, a.doc.err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", a.doc.raw)
}
