/**
 * Settings: the resolved Typesafe configuration ({@code reference.conf}, an environment file,
 * command-line overrides) and one immutable, validated settings class per pipeline stage.
 * Nothing here touches Spark or data; every other package may depend on it.
 */
package org.cfpipe.config;
