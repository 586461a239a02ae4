package saml

import (
	"testing"

	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/apps"
)

// TestChooseACSBinding: the ProtocolBinding a request names picks the ACS
// of that binding (by URL, index or default); without one the POST entry
// of a URL is preferred.
func TestChooseACSBinding(t *testing.T) {
	s := &apps.SAMLSettings{ACS: []apps.SAMLEndpoint{
		{URL: "https://sp/acs", Binding: apps.SAMLBindingPost, Index: 1, Default: true},
		{URL: "https://sp/acs", Binding: apps.SAMLBindingArtifact, Index: 2},
		{URL: "https://sp/post-only", Binding: apps.SAMLBindingPost, Index: 3},
	}}
	for _, tc := range []struct {
		what, url, index, binding string
		want                      int // index of the chosen ACS; 0: refused
	}{
		{"URL, no binding", "https://sp/acs", "", "", 1},
		{"URL, artifact", "https://sp/acs", "", bindingArtifactURI, 2},
		{"URL, post", "https://sp/acs", "", bindingPostURI, 1},
		{"POST-only URL, artifact", "https://sp/post-only", "", bindingArtifactURI, 0},
		{"index 2", "", "2", "", 2},
		{"index 2, post", "", "2", bindingPostURI, 0},
		{"default, artifact", "", "", bindingArtifactURI, 2},
		{"default", "", "", "", 1},
	} {
		got, rf := chooseACS(s, &saml.AuthnRequest{AssertionConsumerServiceURL: tc.url, AssertionConsumerServiceIndex: tc.index, ProtocolBinding: tc.binding})
		switch {
		case tc.want == 0 && rf == nil:
			t.Errorf("%s: chose %+v, want a refusal", tc.what, got)
		case tc.want != 0 && (rf != nil || got.Index != tc.want):
			t.Errorf("%s: %+v %v, want index %d", tc.what, got, rf, tc.want)
		}
	}
}
