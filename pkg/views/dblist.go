package views

import (
	"time"

	"github.com/kompose-dev/kompose/pkg/db"
	"github.com/kompose-dev/kompose/pkg/plan"
	"github.com/kompose-dev/kompose/pkg/report/jsonout"
)

// DBList is `db:list --json`: the dumps of each stack of a db:list plan,
// read with pkg/db's List from the folder each stack's db:list step was
// planned with. ok is false when a stack could not be planned or its
// dumps could not be listed (exit status 1).
func DBList(p *plan.Plan, now time.Time) (doc jsonout.DBList, ok bool) {
	doc = jsonout.DBList{Header: jsonout.NewHeader(jsonout.KindDBList), Root: p.Root, Stacks: []jsonout.DBStack{}}
	ok = true
	for _, s := range p.Stacks {
		ds := jsonout.DBStack{Name: s.Name, Skip: s.Masker.String(s.Skip), Dumps: []jsonout.DumpInfo{}}
		if s.Err != nil {
			msg := s.Masker.String(s.Err.Error())
			ds.Error = &msg
			ok = false
		}
		for i := range s.Steps {
			l, isList := s.Steps[i].Action.(*db.Lister)
			if !isList {
				continue
			}
			ds.Database, ds.Dir, ds.KeptDatabase = l.Cfg.Name, l.Cfg.DumpDir, db.ReadKept(l.Cfg)
			ds.Engine = l.Engine.String()
			dumps, err := db.List(l.Cfg.DumpDir, l.Cfg.Name)
			if err != nil {
				msg := s.Masker.String(err.Error())
				ds.Error = &msg
				ok = false
			}
			for _, d := range dumps {
				ds.Dumps = append(ds.Dumps, jsonout.DumpInfo{File: d.Path, Time: jsonout.Time(d.Time), AgeSeconds: int64(now.Sub(d.Time).Seconds()), Size: d.Size, Format: d.Format.String()})
			}
			if l.Offsite != nil {
				if !offsiteInto(&ds, l.Offsite, s, now) {
					ok = false
				}
			}
		}
		doc.Stacks = append(doc.Stacks, ds)
	}
	return doc, ok
}
