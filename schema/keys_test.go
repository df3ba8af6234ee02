package schema

import (
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/stretchr/testify/require"
)

func TestStateKeysAreTheShimsCompositeKeys(t *testing.T) {
	for _, tc := range []struct {
		got        string
		objectType Record
		attrs      []string
	}{
		{PartyKey("stadt-koeln"), RecordParty, []string{"stadt-koeln"}},
		{AgreementKey("koeln-bauantrag"), RecordAgreement, []string{"koeln-bauantrag"}},
		{FeeVersionKey("koeln-bauantrag", 2), RecordFeeVersion, []string{"koeln-bauantrag", VersionKey(2)}},
		{PriceModelKey("digitaler-bauantrag", 1), RecordPriceModel, []string{"digitaler-bauantrag", VersionKey(1)}},
		{OfferingVersionKey("digitaler-bauantrag", 3), RecordOfferingVersion, []string{"digitaler-bauantrag", VersionKey(3)}},
	} {
		want, err := shim.CreateCompositeKey(string(tc.objectType), tc.attrs)
		require.NoError(t, err)
		require.Equal(t, want, tc.got)
	}
}
