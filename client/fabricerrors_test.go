package client

import (
	"errors"
	"testing"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// gatewayError builds an error as the Fabric gateway returns it: a gRPC
// status with a gateway.ErrorDetail per failed endorser.
func gatewayError(t *testing.T, code codes.Code, message string, endorsers ...*gateway.ErrorDetail) error {
	t.Helper()
	st := status.New(code, message)
	if len(endorsers) > 0 {
		var details []protoadapt.MessageV1
		for _, d := range endorsers {
			details = append(details, protoadapt.MessageV1Of(d))
		}
		var err error
		st, err = st.WithDetails(details...)
		require.NoError(t, err)
	}
	return st.Err()
}

func detail(msp, message string) *gateway.ErrorDetail {
	return &gateway.ErrorDetail{Address: "peer0." + msp + ":7051", MspId: msp, Message: message}
}

const refusal = `chaincode response 500, {"code":"conflict","field":"message.nonce","rule":"nonce 7 was already used"}`

// The Fabric backend's error classification reads the status code and the
// per-endorser details, as the gateway sends them.
func TestFabricErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		name        string
		err         error
		refused     *schema.Error
		unavailable bool
		noEndorsers bool
		retry       bool
	}{
		{name: "the chaincode refuses, in an endorser's detail",
			err:     gatewayError(t, codes.Aborted, "failed to endorse transaction, see attached details for more info", detail("AKDBMSP", refusal)),
			refused: &schema.Error{Code: schema.CodeConflict, Field: "message.nonce", Rule: "nonce 7 was already used"}},
		{name: "an evaluate's chaincode response, without details",
			err:     gatewayError(t, codes.Unknown, "evaluate call to endorser returned error: "+refusal),
			refused: &schema.Error{Code: schema.CodeConflict, Field: "message.nonce", Rule: "nonce 7 was already used"}},
		{name: "the gateway's peer cannot be reached",
			err: gatewayError(t, codes.Unavailable, "connection refused"), unavailable: true},
		{name: "endorsement timed out",
			err: gatewayError(t, codes.DeadlineExceeded, "endorsement timeout expired while collecting endorsements"), unavailable: true},
		{name: "no set of peers satisfies the policy",
			err: gatewayError(t, codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy"), unavailable: true, noEndorsers: true},
		{name: "an endorser the gateway chose is down",
			err: gatewayError(t, codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info",
				detail("RegioITMSP", "rpc error: connection refused")), unavailable: true, noEndorsers: true},
		{name: "endorsers simulated at different heights",
			err: gatewayError(t, codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info",
				detail("DataportMSP", payloadMismatch), detail("AKDBMSP", payloadMismatch)), retry: true},
		{name: "a mismatch and a peer down: not worth a retry",
			err: gatewayError(t, codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info",
				detail("DataportMSP", payloadMismatch), detail("AKDBMSP", "stream terminated")), unavailable: true, noEndorsers: true},
		{name: "a malformed proposal",
			err: gatewayError(t, codes.InvalidArgument, "the proposed transaction must contain a signed proposal")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := endorseError("tx1", tc.err)
			require.Equal(t, "tx1", e.TxID)
			require.Equal(t, tc.refused, e.Registry)
			if tc.refused != nil {
				var re *schema.Error
				require.ErrorAs(t, e, &re, "errors.As finds the chaincode's refusal")
			}
			require.Equal(t, tc.unavailable, errors.Is(e, ErrUnavailable), "%v", e)
			require.Equal(t, tc.noEndorsers, errors.Is(e, ErrNoEndorsers), "%v", e)
			require.Equal(t, tc.retry, retryable(e), "%v", e)
			if st := status.Convert(tc.err); len(st.Details()) > 0 {
				require.Len(t, e.Endorsers, len(st.Details()), "every endorser's detail is kept")
				require.NotEmpty(t, e.Endorsers[0].MSPID)
			}
		})
	}
}
