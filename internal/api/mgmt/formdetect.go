package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/opt"
)

type formDetectRequest struct {
	LoginURL opt.String `json:"login_url"`
}

// detectForm is POST /api/v2/tenant/form-fill/detect (Gatehouse's own):
// it reads the login page at login_url and answers the form_fill settings
// it proposes, with warnings. Nothing is stored.
func (a *API) detectForm(w http.ResponseWriter, r *http.Request) error {
	var in formDetectRequest
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	out, err := a.Apps.DetectFormAt(r.Context(), in.LoginURL.V)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
