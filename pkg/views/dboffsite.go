package views

import (
	"context"
	"time"

	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
)

// offsiteInto adds the snapshots of o (a stack's restic repository) to
// ds; false when the repository could not be listed (the error masked
// in ds).
func offsiteInto(ds *jsonout.DBStack, o *db.Offsite, s *plan.Stack, now time.Time) bool {
	snaps, err := o.Snapshots(context.Background(), s.Env.Environ())
	if err != nil {
		msg := s.Masker.String(err.Error())
		ds.OffsiteError = &msg
		return false
	}
	ds.Snapshots = []jsonout.SnapshotInfo{}
	for _, sn := range snaps {
		ds.Snapshots = append(ds.Snapshots, jsonout.SnapshotInfo{ID: sn.ShortID, File: sn.File(), Time: jsonout.Time(sn.Time), AgeSeconds: int64(now.Sub(sn.Time).Seconds()), Host: sn.Hostname})
	}
	return true
}
