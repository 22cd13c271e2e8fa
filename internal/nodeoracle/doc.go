// Package nodeoracle lets tests decide by brute force, with the scheduler's own matcher, whether some node fits a pod: it enumerates every kind of node that could make a difference.
package nodeoracle
