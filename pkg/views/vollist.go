package views

import (
	"context"
	"sort"
	"time"

	"github.com/kompose-dev/kompose/pkg/output"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
	"github.com/kompose-dev/kompose/pkg/vol"
)

// VolList is `vol:list --json`: the archives of each stack of a vol:list
// plan, by volume, read from the folder its vol:list step was planned
// with, and the snapshots of its restic repository. Files named like
// archives that the trust rule refuses are left out (the text lists
// them). ok is false when a stack could not be planned or listed.
func VolList(p *plan.Plan, now time.Time) (doc jsonout.VolList, ok bool) {
	doc = jsonout.VolList{Header: jsonout.NewHeader(jsonout.KindVolList), Root: p.Root, Stacks: []jsonout.VolStack{}}
	ok = true
	for _, s := range p.Stacks {
		vs := jsonout.VolStack{Name: s.Name, Skip: s.Masker.String(s.Skip), Volumes: []jsonout.VolArchives{}}
		if s.Err != nil {
			msg := s.Masker.String(s.Err.Error())
			vs.Error = &msg
			ok = false
		}
		for i := range s.Steps {
			l, isList := s.Steps[i].Action.(*vol.Lister)
			if !isList {
				continue
			}
			vs.Dir = l.Dir
			byVol := map[string]*jsonout.VolArchives{}
			get := func(name string) *jsonout.VolArchives {
				if byVol[name] == nil {
					byVol[name] = &jsonout.VolArchives{Volume: name, Archives: []jsonout.VolArchive{}}
				}
				return byVol[name]
			}
			archives, err := l.Archives(s.Policy)
			if err != nil {
				msg := s.Masker.String(err.Error())
				vs.Error = &msg
				ok = false
			}
			for _, a := range archives {
				info := jsonout.VolArchive{File: a.Path, Time: jsonout.Time(a.Time), AgeSeconds: int64(now.Sub(a.Time).Seconds()), Size: a.Size}
				if m, err := vol.ReadManifest(a.Path); err == nil {
					info.Files, info.Bytes, info.Note = &m.Counts.Files, &m.Counts.Bytes, m.Note
				}
				v := get(a.Base)
				v.Archives = append(v.Archives, info)
			}
			if l.Offsite != nil {
				snaps, err := l.Offsite.Snapshots(context.Background(), s.Env.Environ())
				if err != nil {
					msg := s.Masker.String(err.Error())
					vs.OffsiteError = &msg
					ok = false
				}
				for _, sn := range snaps {
					v := get(vol.Target{Name: sn.Name()}.FileBase())
					v.Snapshots = append(v.Snapshots, jsonout.SnapshotInfo{ID: sn.ShortID, File: sn.File(), Time: jsonout.Time(sn.Time), AgeSeconds: int64(now.Sub(sn.Time).Seconds()), Host: sn.Hostname})
				}
				for _, v := range byVol {
					if v.Snapshots == nil {
						v.Snapshots = []jsonout.SnapshotInfo{}
					}
				}
			}
			var names []string
			for n := range byVol {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				vs.Volumes = append(vs.Volumes, *byVol[n])
			}
		}
		doc.Stacks = append(doc.Stacks, vs)
	}
	return doc, ok
}

// PlanJSON is the --json view of a listing command's plan (db:list,
// vol:list: its document, not OK when a stack could not be read); nil
// for the other commands, which have none.
func PlanJSON(p *plan.Plan, now time.Time) View {
	switch p.Command {
	case "db:list":
		d, ok := DBList(p, now)
		return jsonView{d, ok}
	case "vol:list":
		d, ok := VolList(p, now)
		return jsonView{d, ok}
	}
	return nil
}

// jsonView is a view that is only a JSON document.
type jsonView struct {
	doc any
	ok  bool
}

func (v jsonView) OK() bool { return v.ok }

func (v jsonView) Print(ios *output.IOStreams, _ bool) error { return jsonout.Write(ios.Out, v.doc) }
