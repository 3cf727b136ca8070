"""The people and companies who owe: identity, contact points, holds, contact rules."""
