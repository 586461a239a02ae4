package formfill

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/apps"
	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// credentials is GET /api/v1/formfill/{application_id}/credentials: the
// page where users change the credentials they stored (say, after the
// application's password changed).
func (s *Server) credentials(w http.ResponseWriter, r *http.Request) {
	if tg := s.open(w, r); tg != nil {
		s.askCredentials(w, r, tg, http.StatusOK, "")
	}
}

// saveCredentials is POST /api/v1/formfill/{application_id}/credentials:
// it stores the user's account name and (sealed) password at the
// application, creating the account when the user has none, then
// launches the application.
func (s *Server) saveCredentials(w http.ResponseWriter, r *http.Request) {
	tg := s.open(w, r)
	if tg == nil {
		return
	}
	if !tg.app.FormFill.UserSetsCredentials {
		s.errorPage(w, r, http.StatusForbidden, "Only your administrator sets your account for "+tg.app.Name+".")
		return
	}
	if !s.CSRF.Check(r, csrfPurpose(tg.app.ID), r.PostFormValue("csrf")) {
		s.errorPage(w, r, http.StatusForbidden, "This form has expired. Go back, reload the page and try again.")
		return
	}
	name, password := strings.TrimSpace(r.PostFormValue("account_name")), r.PostFormValue("password")
	switch {
	case name == "":
		s.askCredentials(w, r, tg, http.StatusBadRequest, "Enter your user name at "+tg.app.Name+".")
		return
	case password == "":
		s.askCredentials(w, r, tg, http.StatusBadRequest, "Enter your password at "+tg.app.Name+".")
		return
	}
	wr := &apps.AccountWrite{AccountName: opt.Some(name), Password: opt.Some(password)}
	var err error
	if tg.account == nil {
		wr.UserID = opt.Some(tg.user.ID)
		_, err = s.Accounts.Create(r.Context(), tg.app.TenantID, tg.actor, tg.app.ID, wr)
	} else {
		err = s.Accounts.Update(r.Context(), tg.app.TenantID, tg.actor, tg.app.ID, tg.account.ID, wr)
	}
	if f, ok := failure.As(err); ok {
		msg := f.Message
		if f.Field == "account_name" && f.Kind == failure.Conflict {
			msg = "This user name at " + tg.app.Name + " belongs to another person's account."
		}
		s.askCredentials(w, r, tg, http.StatusBadRequest, msg)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, launchPath(tg.app.ID), http.StatusSeeOther)
}

// refuse records a refused launch and says why.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, tg *target, err error) {
	f, ok := failure.As(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	s.record(r, tg, "application.access", storage.ResultFailure, f.Code)
	s.errorPage(w, r, http.StatusForbidden, f.Message+" Ask your administrator for access to "+tg.app.Name+".")
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
