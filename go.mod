module github.com/actorgate/actorgate

go 1.26.0
