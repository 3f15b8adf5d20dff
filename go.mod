module github.com/kompose-dev/kompose

go 1.26.8
