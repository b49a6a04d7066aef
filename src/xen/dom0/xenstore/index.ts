// xenstored and its clients: the tree, xs_wire over store rings, xenbus negotiation helpers.
export * from './tree';
export * from './ring';
export * from './wire';
export * from './xenstored';
export * from './client';
export * from './domain-tree';
export * from './xenbus';
export * from './service';
