#! SB101 2:10
cast fox a red fox
